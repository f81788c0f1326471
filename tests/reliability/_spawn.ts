/**
 * Starting the CLI as a child process that a test can kill mid-pull, and
 * waiting for a condition on the file system while it runs.
 * @module
 */
import { RUN_FLAGS } from "../_cli.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Starts `sregistry ARGS` with `env` (the test HOME's); output is piped. */
export function spawnCli(args: string[], env: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...RUN_FLAGS, MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
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
