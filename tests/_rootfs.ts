/** Test helpers: a tiny busybox root filesystem and running commands in it with bwrap. */
import { buildTar, type TarEntry } from "./_tar.ts";
import { streamOf } from "./_streams.ts";
import { RootfsWriter } from "../src/layers/extract.ts";
import { applyExtraFiles, type ExtraFile } from "../src/layers/extra_files.ts";

const APPLETS = ["sh", "echo", "ls", "sort", "printf", "env", "cat", "true"];

/** A layer holding static busybox as /bin/busybox and a few applets linked to it. */
export function busyboxLayer(): TarEntry[] {
  return [
    { name: "bin", type: "directory", mode: 0o755 },
    { name: "bin/busybox", content: Deno.readFileSync("/usr/bin/busybox"), mode: 0o755 },
    ...APPLETS.map((a): TarEntry => ({ name: `bin/${a}`, type: "symlink", linkname: "busybox" })),
  ];
}

/**
 * Creates a temp rootfs from the busybox layer, as a pull's folder road does
 * (the layer engine with the sandbox backend), with `extra` (the Singularity
 * metadata) added.
 */
export async function busyboxRootfs(extra: ExtraFile[] = []): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "rootfs-" });
  await Deno.chmod(root, 0o755);
  const writer = new RootfsWriter(root, { isRoot: Deno.uid() === 0 });
  await writer.applyLayer(streamOf(buildTar(busyboxLayer())), "busybox");
  await applyExtraFiles(writer.engine, extra);
  await writer.finish();
  return root;
}

/** Runs `args` inside `root` with bwrap; returns stdout, stderr and the exit code. */
export async function inRootfs(
  root: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command("bwrap", {
    args: [
      "--bind",
      root,
      "/",
      "--dev",
      "/dev",
      "--proc",
      "/proc",
      "--clearenv",
      ...envArgs(env),
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

function envArgs(env: Record<string, string>): string[] {
  const all = { PATH: "/bin", ...env };
  return Object.entries(all).flatMap(([name, value]) => ["--setenv", name, value]);
}
