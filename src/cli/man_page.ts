/**
 * The man page, `sregistry(1)` in roff (the `man` macros), generated from the
 * command tree, the help table (examples, variables per command) and the
 * settings table (what each variable means). Read it with `man -l FILE`.
 * @module
 */
import { settingsTable } from "../config/settings.ts";
import type { CommandNode, OptionNode } from "./command_tree.ts";
import { COMMAND_HELP } from "./help_text.ts";

/** Text safe in roff: backslashes, dashes, and a leading `.` or `'`. */
export function roff(text: string): string {
  return text.replaceAll("\\", "\\e").replaceAll("-", "\\-").replace(/^([.'])/gm, "\\&$1");
}

/** Markdown code spans of the settings table as bold. */
function fromMarkdown(text: string): string {
  return roff(text).replace(/`([^`]*)`/g, "\\fB$1\\fR");
}

function optionItem(o: OptionNode): string[] {
  const names = [o.short, o.long].filter((s) => s !== undefined).map((s) => `\\fB${roff(s!)}\\fR`);
  const value = o.value ? ` \\fI${roff(o.value)}\\fR` : "";
  const choices = o.choices ? ` (${roff(o.choices.join(", "))})` : "";
  return [".TP", `${names.join(", ")}${value}`, `${roff(o.description)}${choices}`];
}

function commandSection(node: CommandNode): string[] {
  const name = ["sregistry", ...node.path].join(" ");
  const lines = [".SS", `\\fB${roff(name)}\\fR ${roff(node.usage)}`, roff(node.description)];
  for (const a of node.arguments.filter((a) => a.description)) {
    lines.push(".TP", `\\fI${roff(a.name)}\\fR`, roff(a.description));
  }
  for (const o of node.options.filter((o) => o.long !== "--help")) lines.push(...optionItem(o));
  const help = COMMAND_HELP[node.path.join(" ")];
  if (help) {
    lines.push(".PP", "Examples:", ".PP", ".RS", ".nf", ...help.examples.map(roff), ".fi", ".RE");
    if (help.env.length) {
      lines.push(".PP", `Environment: ${roff([...new Set(help.env)].join(", "))}.`);
    }
  }
  return lines;
}

/**
 * The whole page.
 * @param tree from `commandTree(program)`, the program first
 * @param version printed in the footer
 * @returns roff source for `man -l`
 */
export function manPage(tree: CommandNode[], version: string): string {
  const [root, ...commands] = tree;
  const lines = [
    `.TH SREGISTRY 1 "" "sregistry ${roff(version)}" "User Commands"`,
    ".SH NAME",
    `sregistry \\- ${roff(root.description)}`,
    ".SH SYNOPSIS",
    ".B sregistry",
    "[\\fB\\-\\-debug\\fR] [\\fB\\-\\-quiet\\fR] \\fIcommand\\fR [\\fIoptions\\fR] [\\fIarguments\\fR]",
    ".SH DESCRIPTION",
    roff(
      "sregistry pulls OCI/Docker images from any registry into Singularity/Apptainer SIF files, " +
        "without root, a Docker daemon or Python, and keeps a catalogue of what was pulled. " +
        "It reads the variables of the Python sregistry client and Apptainer's.",
    ),
    ".SH OPTIONS",
    ...root.options.filter((o) => o.long !== "--help").flatMap(optionItem),
    ".SH COMMANDS",
    ...commands.flatMap(commandSection),
    ".SH ENVIRONMENT",
    roff(
      "Each variable may also be stored in the settings file (sregistry backend add docker NAME VALUE); the environment wins. " +
        "SREGISTRY_ variables win over APPTAINER_ ones, which win over SINGULARITY_ ones.",
    ),
    ...settingsTable().flatMap((r) => [
      ".TP",
      `\\fB${roff(r.name)}\\fR`,
      `${fromMarkdown(r.meaning)}. Default: ${fromMarkdown(r.default)}.`,
    ]),
    ".SH EXIT STATUS",
    "0 success, 1 failure, 2 usage error.",
    ".SH FILES",
    ".TP",
    "\\fI~/.sregistry\\fR",
    "the settings file (SREGISTRY_CLIENT_SECRETS)",
    ".TP",
    "\\fI~/.singularity/sregistry.db\\fR",
    "the catalogue (SREGISTRY_DATABASE)",
    ".SH SEE ALSO",
    "\\fBapptainer\\fR(1), \\fBsingularity\\fR(1), \\fBskopeo\\fR(1)",
    "",
  ];
  return lines.join("\n");
}
