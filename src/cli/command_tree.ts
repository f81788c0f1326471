/**
 * The command tree as plain data, read from commander's `Command` objects:
 * what shell completion and the man page are generated from, so both always
 * match the commands and options that exist.
 * @module
 */
import type { Command, Option } from "@commander-js/extra-typings";

/** One option: its spellings, whether it takes a value, and the values it accepts. */
export interface OptionNode {
  long?: string;
  short?: string;
  /** `<file>` for an option that takes a value; undefined for a switch. */
  value?: string;
  choices?: string[];
  description: string;
}

/** One visible command. */
export interface CommandNode {
  /** The path without the program name: [] for the program, ["backend", "add"]. */
  path: string[];
  description: string;
  usage: string;
  arguments: { name: string; required: boolean; description: string; choices?: string[] }[];
  options: OptionNode[];
  subcommands: { name: string; description: string }[];
}

function optionNode(o: Option): OptionNode | undefined {
  const raw = o as unknown as {
    long?: string;
    short?: string;
    flags: string;
    hidden: boolean;
    required: boolean;
    optional: boolean;
    argChoices?: string[];
    description: string;
  };
  if (raw.hidden) return undefined;
  const value = /[<[][^>\]]*[>\]]/.exec(raw.flags)?.[0];
  return {
    ...(raw.long ? { long: raw.long } : {}),
    ...(raw.short ? { short: raw.short } : {}),
    ...(value ? { value } : {}),
    ...(raw.argChoices ? { choices: [...raw.argChoices] } : {}),
    description: raw.description,
  };
}

function isHidden(c: Command): boolean {
  return (c as unknown as { _hidden?: boolean })._hidden === true;
}

/**
 * Every visible command of `program`, depth first, the program itself first.
 * Each has `--help`; the program also `--version`.
 */
export function commandTree(program: Command): CommandNode[] {
  const out: CommandNode[] = [];
  const visit = (c: Command, path: string[]) => {
    const visible = (c.commands as Command[]).filter((s) => !isHidden(s));
    const options = (c.options as readonly Option[]).map(optionNode).filter((o) => o !== undefined);
    options.push({ long: "--help", short: "-h", description: "show help for this command" });
    out.push({
      path,
      description: c.description(),
      usage: c.usage(),
      arguments: c.registeredArguments.map((a) => {
        const choices = (a as unknown as { argChoices?: string[] }).argChoices;
        return {
          name: a.name(),
          required: a.required,
          description: a.description,
          ...(choices ? { choices: [...choices] } : {}),
        };
      }),
      options,
      subcommands: visible.map((s) => ({ name: s.name(), description: s.description() })),
    });
    for (const s of visible) visit(s, [...path, s.name()]);
  };
  visit(program, []);
  return out;
}
