/**
 * `sregistry shell`: a Deno REPL with the library loaded as `sregistry` and a
 * ready `client` (a {@linkcode Client} on this run's settings), as the Python
 * client offered. The REPL is the `deno` on `PATH` that `--allow-run=deno`
 * names (the running binary's own path may differ from it, e.g. npm's
 * `.bin/deno` link), else the running Deno.
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { SregistryError } from "../errors.ts";

/** The REPL's first input: imports the library and makes `client`. */
export function shellPrelude(mod: URL): string {
  return `import * as sregistry from "${mod.href}"; globalThis.sregistry = sregistry;` +
    ` globalThis.client = new sregistry.Client();` +
    ` console.error("sregistry library loaded as \\"sregistry\\"; \\"client\\" is ready: await client.images(), await client.pull(\\"busybox\\"), client.get(REF)");`;
}

/** The deno to run: `deno` from PATH when there is one, else this process's own binary. */
function denoProgram(env: Record<string, string | undefined>): string {
  for (const dir of (env.PATH ?? "").split(":")) {
    if (!dir) continue;
    try {
      if (Deno.statSync(`${dir}/deno`).isFile) return "deno";
    } catch { /* not here */ }
  }
  return Deno.execPath();
}

/** Adds `shell`. */
export function addShellCommand(program: Command): void {
  program.command("shell").description(
    "an interactive Deno session with the library loaded as `sregistry` and a ready `client`",
  )
    .argument("[endpoint]", "backend (docker or nvidia; both use the same client)")
    .action(async (endpoint) => {
      if (endpoint && endpoint !== "docker" && endpoint !== "nvidia") {
        throw new SregistryError(
          `Cannot open a shell for "${endpoint}": only docker and nvidia are supported`,
        );
      }
      const mod = new URL("../../mod.ts", import.meta.url);
      let hasSource = false;
      try {
        hasSource = mod.protocol === "file:" && Deno.statSync(mod).isFile &&
          Deno.statSync(new URL("../../deno.json", import.meta.url)).isFile;
      } catch { /* no source next to this build */ }
      if (!hasSource) {
        throw new SregistryError(
          "Cannot open a shell: this build of sregistry has no library source next to it: run `sregistry shell` from a checkout (`deno task sregistry shell`) or a `deno install` of one",
        );
      }
      const program = denoProgram(Deno.env.toObject());
      // The library's imports (npm packages) resolve through the checkout's deno.json, from any folder.
      const config = new URL("../../deno.json", import.meta.url);
      let status: Deno.CommandStatus;
      try {
        status = await new Deno.Command(program, {
          args: [
            "repl",
            "--quiet",
            "-A",
            `--config=${config.pathname}`,
            `--eval=${shellPrelude(mod)}`,
          ],
          stdin: "inherit",
          stdout: "inherit",
          stderr: "inherit",
        }).spawn().status;
      } catch (e) {
        throw new SregistryError(
          `Cannot open a shell: cannot start ${program}: ${
            (e as Error).message
          }: run sregistry with --allow-run=deno and deno on PATH`,
          { cause: e },
        );
      }
      if (!status.success) throw new SregistryError("Cannot run the shell: deno repl failed");
    });
}
