/**
 * Test helpers around real command-line tools: run one and keep its output,
 * and a GNU sparse layer made by `truncate`, `dd` and GNU tar.
 * @module
 */
import { assert } from "./_assert.ts";
import { sha256 } from "./_images.ts";

/** Runs `cmd` with `args` (in `cwd`), asserts it succeeded (showing its stderr), returns its stdout. */
export async function runTool(cmd: string, args: string[], cwd?: string): Promise<Uint8Array> {
  const out = await new Deno.Command(cmd, { args, cwd, stderr: "piped" }).output();
  assert(out.success, `${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  return out.stdout;
}

/**
 * A layer tar by `tar --format=posix --sparse` holding `sp/<name>`: a file of
 * `size` (as `truncate -s` reads it: "3M") that is one hole but for `data`
 * written by `dd` at each byte offset of `at`. Works in `dir/src`. Returns the
 * tar and the file's `sha256:` digest.
 */
export async function gnuSparseTar(
  dir: string,
  name: string,
  size: string,
  data: string,
  at: number[],
): Promise<{ tar: Uint8Array; digest: string }> {
  Deno.mkdirSync(`${dir}/src/sp`, { recursive: true });
  const file = `${dir}/src/sp/${name}`;
  await runTool("truncate", ["-s", size, file]);
  Deno.writeTextFileSync(`${dir}/chunk`, data);
  for (const seek of at) {
    await runTool("dd", [`if=${dir}/chunk`, `of=${file}`, "bs=1", `seek=${seek}`, "conv=notrunc"]);
  }
  const tar = await runTool("tar", [
    "--format=posix",
    "--sparse",
    "-cf",
    "-",
    "-C",
    `${dir}/src`,
    "sp",
  ]);
  return { tar, digest: sha256(Deno.readFileSync(file)) };
}
