/**
 * Small commands: `tags`, `shell` (`shell.ts`), and the original's commands for backends we
 * do not support, which say so in one line.
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { SregistryError } from "../errors.ts";
import { parseReference } from "../reference.ts";
import type { CliContext } from "./context.ts";
import { print } from "./output.ts";
import { addShellCommand } from "./shell.ts";

/** Adds `tags`, `shell` and the unsupported commands. */
export function addMiscCommands(program: Command, ctx: () => CliContext): void {
  program.command("tags").description("list the tags of an image repository")
    .argument("<reference>", "repository, e.g. busybox or ghcr.io/org/img")
    .option("--no-https", "talk plain HTTP to the registry")
    .action(async (reference, opts) => {
      const client = ctx().registryClient({ noHttps: opts.https === false });
      for (const tag of await client.listTags(parseReference(reference))) print(tag);
    });
  addShellCommand(program);

  for (const name of ["push", "search", "share", "delete", "build", "labels"]) {
    program.command(name, { hidden: true }).allowUnknownOption().allowExcessArguments()
      .action(() => {
        throw new SregistryError(
          `Cannot run sregistry ${name}: the docker backend of sregistry pulls only; ${name} belonged to other backends of the Python client, which are not supported`,
        );
      });
  }
}
