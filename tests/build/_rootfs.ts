/** Test helpers: a tiny busybox root filesystem and running commands in it with bwrap. */

const APPLETS = ["sh", "echo", "ls", "sort", "printf", "env", "cat", "true"];

/** Creates a temp rootfs holding static busybox as /bin/sh and a few applets. */
export async function busyboxRootfs(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "rootfs-" });
  await Deno.mkdir(`${root}/bin`);
  await Deno.copyFile("/usr/bin/busybox", `${root}/bin/busybox`);
  await Deno.chmod(`${root}/bin/busybox`, 0o755);
  for (const applet of APPLETS) await Deno.symlink("busybox", `${root}/bin/${applet}`);
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
