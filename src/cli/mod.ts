/**
 * The command line: `main(args)` parses arguments with commander, runs the
 * command and returns the exit code. Errors become exit codes only here and in
 * `exit.ts`.
 * @module
 */
import { Command, CommanderError } from "@commander-js/extra-typings";
import { VERSION } from "../version.ts";
import { addCatalogueCommands } from "./catalogue.ts";
import { CliContext } from "./context.ts";
import { reportError } from "./exit.ts";
import { addMiscCommands } from "./misc.ts";
import { print, writeErr } from "./output.ts";
import { pullCommand } from "./pull.ts";
import { addConfigCommands } from "./config.ts";

/** Builds the program; `ctx` gives the run's context once options are parsed. */
export function program(ctx: () => CliContext): Command {
  const cmd = new Command("sregistry")
    .description(
      "Pull container images from OCI/Docker registries into Singularity/Apptainer images (SIF)",
    )
    .version(VERSION, "--version", "print the version and exit")
    .option("--debug", "show debugging output (never secrets)")
    .option("--quiet", "print only results")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeErr, writeOut: (s) => print(s.replace(/\n$/, "")) }) as unknown as Command;
  cmd.command("version").description("print the version").action(() => print(VERSION));
  cmd.addCommand(pullCommand(ctx) as unknown as Command);
  addCatalogueCommands(cmd, ctx);
  addConfigCommands(cmd, ctx);
  addMiscCommands(cmd, ctx);
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
  if (args.length === 0) {
    cmd.outputHelp();
    return 0;
  }
  try {
    await cmd.parseAsync(args, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      return ["commander.helpDisplayed", "commander.version", "commander.help"].includes(e.code)
        ? 0
        : 2;
    }
    return reportError(e, { debug: args.includes("--debug") });
  } finally {
    context?.close();
  }
}
