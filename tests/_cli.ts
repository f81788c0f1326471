/**
 * Runs the `sregistry` CLI as users do, in a subprocess with exactly the
 * permission flags the README documents (not `-A`), in a sandboxed HOME with
 * its own storage, database and cache.
 * @module
 */
import { assert, assertEquals } from "./_assert.ts";

/** The flags documented in the README for `deno run`: permissions and the V8 tuning. */
export const RUN_FLAGS: string[] = JSON.parse(
  Deno.readTextFileSync(new URL("../deno.json", import.meta.url)),
)
  .tasks.sregistry.split(" ").filter((a: string) => /^--(allow-|v8-flags=)/.test(a));

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/**
 * The runs get a temp HOME, but keep this process's Deno cache: a real user's
 * cache persists, and an empty one makes Deno fetch npm metadata on every run.
 */
export const DENO_DIR: string = Deno.env.get("DENO_DIR") ??
  `${Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`}/deno`;

/** The result of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A temporary HOME with the sregistry folders inside, removed on dispose. */
export interface CliHome extends AsyncDisposable {
  home: string;
  env: Record<string, string>;
  run(
    args: string[],
    options?: { env?: Record<string, string>; stdin?: string; flags?: string[]; cwd?: string },
  ): Promise<CliResult>;
}

/**
 * Runs the CLI once; with `asUser`, as that uid and gid through `setpriv`
 * (the test runs as root), and with `clearEnv`, with only `env` (plus
 * NO_COLOR and DENO_DIR).
 */
export async function runCli(
  args: string[],
  options: {
    env?: Record<string, string>;
    stdin?: string;
    script?: string;
    flags?: string[];
    cwd?: string;
    asUser?: number;
    clearEnv?: boolean;
  } = {},
): Promise<CliResult> {
  const deno = [
    Deno.execPath(),
    "run",
    "--quiet",
    ...(options.flags ?? RUN_FLAGS),
    options.script ?? MAIN,
    ...args,
  ];
  const user = options.asUser;
  const command = user === undefined
    ? deno
    : ["setpriv", `--reuid=${user}`, `--regid=${user}`, "--clear-groups", ...deno];
  const child = new Deno.Command(command[0], {
    args: command.slice(1),
    env: { NO_COLOR: "1", DENO_DIR, ...options.env },
    clearEnv: options.clearEnv,
    cwd: options.cwd,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await child.output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** Makes a temporary HOME; `run` uses it with `SREGISTRY_DOCKERHUB_NOHTTPS=yes` for the test registry. */
export async function cliHome(extraEnv: Record<string, string> = {}): Promise<CliHome> {
  const home = await Deno.makeTempDir({ prefix: "sregistry-home-" });
  const env: Record<string, string> = {
    HOME: home,
    DENO_DIR,
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    SREGISTRY_TMPDIR: `${home}/tmp`,
    SREGISTRY_DOCKERHUB_NOHTTPS: "yes",
    ...extraEnv,
  };
  return {
    home,
    env,
    run: (args, options = {}) =>
      runCli(args, {
        env: { ...env, ...options.env },
        stdin: options.stdin,
        flags: options.flags,
        cwd: options.cwd,
      }),
    [Symbol.asyncDispose]: async () => {
      await new Deno.Command("chmod", { args: ["-R", "u+rwX", home] }).output();
      await Deno.remove(home, { recursive: true });
    },
  };
}

/** Runs `args` in `home`, asserts exit code 0 (showing stderr when not) and returns stdout. */
export async function runOk(home: CliHome, args: string[]): Promise<string> {
  const r = await home.run(args);
  assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** Asserts that `text` (a command's output) holds no JavaScript stack trace. */
export function assertNoStack(text: string): void {
  assert(!/\n\s+at .+:\d+:\d+/.test(text), `a stack trace was printed:\n${text}`);
}
