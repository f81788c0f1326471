/**
 * The command line: `main(args)` parses arguments with commander, runs the
 * command and returns the exit code. Errors become exit codes only here and in
 * `exit.ts`.
 * @module
 */
import { Command, CommanderError } from "@commander-js/extra-typings";
import { UsageError } from "../errors.ts";
import { parsePlatform } from "../image/platform.ts";
import { VERSION } from "../version.ts";
import { addCatalogueCommands } from "./catalogue.ts";
import { CliContext } from "./context.ts";
import { reportError } from "./exit.ts";
import { addMiscCommands } from "./misc.ts";
import { print, printErr, writeErr } from "./output.ts";
import { pullCommand } from "./pull.ts";
import { addConfigCommands } from "./config.ts";
import { addCacheCommands } from "./cache.ts";
import { addDocsCommands } from "./docs_commands.ts";
import { COMMAND_HELP, helpFooter } from "./help_text.ts";

/** `sregistry backend add`: a command's name with its parents'. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent as Command | null) names.unshift(c.name());
  return names.join(" ");
}

/** The usage line printed after a usage error. */
export function usageHint(command: Command): string {
  const path = commandPath(command);
  return `Usage: ${path} ${command.usage()}\nRun "${path} --help" for details.`;
}

/**
 * Gives every command, including those built apart and added with
 * `addCommand` (which inherit nothing), the same error handling: errors are
 * thrown to `main`, and a usage error prints "Cannot run <command>: <reason>"
 * plus the command's usage.
 */
function configure(command: Command): void {
  const path = commandPath(command);
  const help = COMMAND_HELP[path.split(" ").slice(1).join(" ")];
  if (help) command.addHelpText("after", helpFooter(help));
  command.exitOverride().showHelpAfterError(usageHint(command)).configureOutput({
    writeErr,
    writeOut: (s) => print(s.replace(/\n$/, "")),
    outputError: (s, write) => write(s.replace(/^error: /, `Cannot run ${path}: `)),
  });
  for (const sub of command.commands) configure(sub as Command);
}

/** Options that several commands share, checked before any work starts. */
function checkOptions(action: Command): void {
  const platform = (action.opts() as { platform?: unknown }).platform;
  if (typeof platform !== "string") return;
  try {
    parsePlatform(platform);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Builds the program; `ctx` gives the run's context once options are parsed. */
export function program(ctx: () => CliContext): Command {
  const cmd = new Command("sregistry")
    .description(
      "Pull container images from OCI/Docker registries into Singularity/Apptainer images (SIF)",
    )
    .version(VERSION, "--version", "print the version and exit")
    .option("--debug", "show debugging output (never secrets)")
    .option("--quiet", "print only results") as unknown as Command;
  cmd.command("version").description("print the version").action(() => print(VERSION));
  cmd.addCommand(pullCommand(ctx) as unknown as Command);
  addCatalogueCommands(cmd, ctx);
  addConfigCommands(cmd, ctx);
  addMiscCommands(cmd, ctx);
  addCacheCommands(cmd, ctx);
  addDocsCommands(cmd, () => cmd);
  configure(cmd);
  return cmd;
}

/** Runs the CLI with `args` and returns the exit code. */
export async function main(
  args: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<number> {
  let context: CliContext | undefined;
  const cmd = program(() => {
    context ??= new CliContext(env, cmd.opts() as { debug?: boolean; quiet?: boolean });
    return context;
  });
  let current = cmd;
  cmd.hook("preAction", (_, action) => {
    current = action as Command;
    checkOptions(current);
  });
  if (args.length === 0) {
    cmd.outputHelp();
    return 0;
  }
  try {
    await cmd.parseAsync(args, { from: "user" });
    return 0;
  } catch (e) {
    // Commander has printed its message and the usage; help and --version exit 0.
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const code = reportError(context?.explainUnwritable(e) ?? e, {
      debug: args.includes("--debug"),
    });
    if (code === 2) printErr(usageHint(current));
    return code;
  } finally {
    context?.close();
  }
}
