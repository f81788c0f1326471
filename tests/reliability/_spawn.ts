/**
 * Starting the CLI as a child process that a test can kill mid-pull, and
 * waiting for a condition on the file system while it runs.
 * @module
 */
import { RUN_FLAGS } from "../_cli.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/**
 * Starts `sregistry ARGS` with `env` (the test HOME's); output is piped.
 * `wrap` runs it through a command first (`["nohup"]`).
 */
export function spawnCli(
  args: string[],
  env: Record<string, string>,
  options: { wrap?: string[] } = {},
): Deno.ChildProcess {
  const wrap = options.wrap ?? [];
  const command = [...wrap, Deno.execPath(), "run", "--quiet", ...RUN_FLAGS, MAIN, ...args];
  return new Deno.Command(command[0], {
    args: command.slice(1),
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Waits for a spawned CLI to end: its exit code and all it wrote. */
export async function childOutput(
  child: Deno.ChildProcess,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const [status, stdout, stderr] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  return { code: status.code, stdout, stderr };
}

/** The pids of `pid`'s children (e.g. a running mksquashfs). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      const text = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/children`).trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch { /* gone */ }
  return out;
}

/**
 * Polls `found()` every 2 ms until it returns a value; fails when the child
 * exits first (the stage was missed) or after `timeoutMs`.
 */
export async function waitFor<T>(
  child: Deno.ChildProcess,
  found: () => T | undefined,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = found();
    if (value !== undefined) return value;
    if (exited) throw new Error(`the pull ended before ${what}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** SIGKILLs the child and its children (as a batch system ending the job does), and reaps it. */
export async function killHard(child: Deno.ChildProcess): Promise<void> {
  const kids = childrenOf(child.pid);
  child.kill("SIGKILL");
  for (const pid of kids) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
  await child.status;
  await child.stdout.cancel().catch(() => {});
  await child.stderr.cancel().catch(() => {});
}
