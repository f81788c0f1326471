/**
 * Small commands: `tags`, `shell`, and the original's commands for backends we
 * do not support, which say so in one line.
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { SregistryError } from "../errors.ts";
import { parseReference } from "../reference.ts";
import type { CliContext } from "./context.ts";
import { print } from "./output.ts";

/** Adds `tags`, `shell` and the unsupported commands. */
export function addMiscCommands(program: Command, ctx: () => CliContext): void {
  program.command("tags").description("list the tags of an image repository")
    .argument("<reference>", "repository, e.g. busybox or ghcr.io/org/img")
    .option("--no-https", "talk plain HTTP to the registry")
    .action(async (reference, opts) => {
      const client = ctx().registryClient({ noHttps: opts.https === false });
      for (const tag of await client.listTags(parseReference(reference))) print(tag);
    });

  program.command("shell").description(
    "an interactive Deno session with the sregistry library loaded",
  )
    .argument("[endpoint]", "backend (only docker is supported)")
    .action(async (endpoint) => {
      if (endpoint && endpoint !== "docker" && endpoint !== "nvidia") {
        throw new SregistryError(
          `Cannot open a shell for "${endpoint}": only docker and nvidia are supported`,
        );
      }
      const mod = new URL("../../mod.ts", import.meta.url);
      const isDeno = /(^|\/)deno$/.test(Deno.execPath());
      let hasSource = false;
      try {
        hasSource = mod.protocol === "file:" && Deno.statSync(mod).isFile;
      } catch { /* no source next to this build */ }
      if (!hasSource || !isDeno) {
        throw new SregistryError(
          "Cannot open a shell: this build of sregistry has no library source or no deno: run `deno task sregistry shell` from a checkout",
        );
      }
      const eval_ = `import * as sregistry from "${mod.href}"; globalThis.sregistry = sregistry;` +
        ` console.log("sregistry library loaded as \\"sregistry\\" (try sregistry.parseReference(\\"busybox\\"))");`;
      const status = await new Deno.Command(Deno.execPath(), {
        args: ["repl", "-A", `--eval=${eval_}`],
        stdin: "inherit",
        stdout: "inherit",
        stderr: "inherit",
      }).spawn().status;
      if (!status.success) throw new SregistryError("Cannot run the shell: deno repl failed");
    });

  for (const name of ["push", "search", "share", "delete", "build", "labels"]) {
    program.command(name, { hidden: true }).allowUnknownOption().allowExcessArguments()
      .action(() => {
        throw new SregistryError(
          `Cannot ${name}: the docker backend of sregistry pulls only; ${name} belonged to other backends of the Python client, which are not supported`,
        );
      });
  }
}
