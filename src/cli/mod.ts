/**
 * The command line: `main(args)` parses arguments with commander, runs the
 * command and returns the exit code. Errors become exit codes only here
 * (see `exitCodeFor`).
 * @module
 */
import { Command, CommanderError } from "@commander-js/extra-typings";
import { VERSION } from "../version.ts";
import { reportError } from "./exit.ts";
import { print, writeErr } from "./output.ts";

/** Builds the program. */
export function program(): Command {
  const cmd = new Command("sregistry")
    .description(
      "Pull container images from OCI/Docker registries into Singularity/Apptainer images",
    )
    .version(VERSION, "--version", "print the version and exit")
    .option("--debug", "show debugging output (never secrets)")
    .option("--quiet", "print only results")
    .exitOverride()
    .configureOutput({
      writeErr,
      writeOut: (s) => Deno.stdout.writeSync(new TextEncoder().encode(s)),
    });
  cmd.command("version").description("print the version").action(() => {
    print(VERSION);
  });
  return cmd as unknown as Command;
}

/** Runs the CLI with `args` and returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const cmd = program();
  try {
    await cmd.parseAsync(args, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return 0;
      if (e.code === "commander.help") return 0;
      return 2;
    }
    return reportError(e, { debug: args.includes("--debug") });
  }
}
