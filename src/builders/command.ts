/**
 * Running external programs (`mksquashfs`, `apptainer`,
 * `singularity`) through an injectable {@link CommandRunner}, and finding them
 * on `PATH`.
 * @module
 */

import { delimiter, join } from "node:path";
import { NoSpaceError, SregistryError } from "../errors.ts";

/** Options of a {@link CommandRunner} call. */
export interface CommandOptions {
  /** Receives the program's stdout and stderr text as it arrives. */
  onOutput?: (chunk: string) => void;
  /** Variables to remove from the inherited environment. */
  unsetEnv?: string[];
}

/** Runs a program to completion; `stderr` holds the tail of its error output. */
export type CommandRunner = (
  cmd: string,
  args: string[],
  opts?: CommandOptions,
) => Promise<{ code: number; stderr: string }>;

const STDERR_TAIL = 8192;

/** The real runner: `Deno.Command`, stdin closed, output streamed to `onOutput`. */
export const runCommand: CommandRunner = async (
  cmd: string,
  args: string[],
  opts: CommandOptions = {},
): Promise<{ code: number; stderr: string }> => {
  const env = opts.unsetEnv?.length ? withoutEnv(opts.unsetEnv) : undefined;
  const child = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...(env ? { env, clearEnv: true } : {}),
  }).spawn();
  let tail = "";
  const [, , status] = await Promise.all([
    pump(child.stdout, (text) => opts.onOutput?.(text)),
    pump(child.stderr, (text) => {
      tail = (tail + text).slice(-STDERR_TAIL);
      opts.onOutput?.(text);
    }),
    child.status,
  ]);
  return { code: status.code, stderr: tail };
};

/**
 * Runs a squashfs builder with `run`, turning a missing program and a failure
 * into the messages users see: "Cannot build the image: <program> is not
 * installed: install <install>", or "... <program> failed: <its last line>".
 */
export async function runBuildTool(
  program: string,
  args: string[],
  opts: CommandOptions & { run?: CommandRunner; install: string },
): Promise<void> {
  const { run = runCommand, install, ...options } = opts;
  const result = await run(program, args, options).catch((error) => {
    if (error instanceof Deno.errors.NotFound) {
      throw new SregistryError(
        `Cannot build the image: ${program} is not installed: install ${install}`,
        { cause: error },
      );
    }
    throw error;
  });
  if (result.code !== 0) {
    const detail = lastLine(result.stderr) || `exit code ${result.code}`;
    const failed = `Cannot build the image: ${program} failed: ${detail}`;
    if (TOOL_NO_SPACE.test(result.stderr)) {
      throw new NoSpaceError({ action: "build the image", tool: program, detail });
    }
    // Not a full disk: the image holds something the tool refuses (too many
    // owner ids, a device number out of range...), which the native builder
    // names; so say that rather than point at free space.
    throw new SregistryError(
      `${failed}: see ${program}'s output above; the native builder (--builder native, gzip or zstd) names what an image holds that a squashfs cannot store`,
    );
  }
}

/**
 * A build tool's words for a full disk or quota. An external program tells
 * its failure only as text on stderr (strerror of ENOSPC/EDQUOT, or
 * mksquashfs's "Failed to write"... "No space left on device"), so this is
 * the one place that reads a tool's text to make a {@linkcode NoSpaceError}.
 */
const TOOL_NO_SPACE = /no space left on device|disk quota exceeded|quota exceeded/i;

/** The last non-empty line of a program's error output, for messages. */
export function lastLine(stderr: string): string {
  return stderr.trim().split("\n").at(-1)?.trim() ?? "";
}

function withoutEnv(names: string[]): Record<string, string> {
  const env = Deno.env.toObject();
  for (const name of names) delete env[name];
  return env;
}

async function pump(stream: ReadableStream<Uint8Array>, sink: (text: string) => void) {
  const decoder = new TextDecoder();
  for await (const chunk of stream) sink(decoder.decode(chunk, { stream: true }));
  const rest = decoder.decode();
  if (rest) sink(rest);
}

/** The absolute path of `program` on `PATH` (executable regular file), or undefined. */
export function which(program: string): string | undefined {
  if (program.includes("/")) return isExecutable(program) ? program : undefined;
  for (const dir of (Deno.env.get("PATH") ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}
