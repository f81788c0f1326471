/**
 * Building a squashfs image from a tar stream with `tar2sqfs` (Debian
 * `squashfs-tools-ng`, 1.x): the tar is piped to its stdin, so no file of the
 * root filesystem is ever created on disk.
 *
 * Times: without `--no-keep-time` every entry keeps the time of its tar
 * header, and the superblock takes the `--defaults mtime` (else
 * SOURCE_DATE_EPOCH, else 0). A deterministic build passes `--no-keep-time`
 * with `mtime=<time>`, setting every inode and the superblock to it, as
 * mksquashfs `-all-time`/`-mkfs-time` do. The output is byte-identical for
 * the same tar stream and options, whatever the number of jobs (measured).
 * @module
 */
import { SregistryError } from "../errors.ts";
import { type Compression, DEFAULT_LEVELS } from "./squashfs.ts";

/** What to build and how. */
export interface Tar2sqfsOptions {
  output: string;
  compression: Compression;
  /** Compression level; default `DEFAULT_LEVELS` (gzip 1). lz4 has none. */
  level?: number;
  /** `--num-jobs`, usually `availableProcessors()`. */
  processors: number;
  /** SOURCE_DATE_EPOCH: every time and the superblock set to it. */
  deterministicTime?: number;
  /** The superblock time of a non-deterministic build; default now. */
  mkfsTime?: number;
}

/** Runs a program with `stdin` piped in; `stderr` holds the tail of its error output. */
export type StdinRunner = (
  cmd: string,
  args: string[],
  opts: {
    stdin: ReadableStream<Uint8Array>;
    unsetEnv?: string[];
    onOutput?: (chunk: string) => void;
  },
) => Promise<{ code: number; stderr: string }>;

/** The `tar2sqfs` arguments for `opts`. */
export function tar2sqfsArgs(opts: Tar2sqfsOptions): string[] {
  if (!Number.isInteger(opts.processors) || opts.processors < 1) {
    throw new RangeError(`processors must be a positive integer, got ${opts.processors}`);
  }
  const args = ["--quiet", "--force", "--no-skip", "--no-xattr", "-c", opts.compression];
  const level = opts.level ?? DEFAULT_LEVELS[opts.compression];
  if (level !== undefined) {
    if (opts.compression === "lz4") throw new RangeError("lz4 has no compression level");
    args.push("-X", `level=${level}`);
  }
  args.push("-j", String(opts.processors));
  const time = opts.deterministicTime ?? opts.mkfsTime ?? Math.floor(Date.now() / 1000);
  args.push("--defaults", `uid=0,gid=0,mode=0755,mtime=${time}`);
  if (opts.deterministicTime !== undefined) args.push("--no-keep-time");
  args.push(opts.output);
  return args;
}

const STDERR_TAIL = 8192;

/** The real runner: `Deno.Command` with stdin piped from the stream. */
export const runWithStdin: StdinRunner = async (
  cmd: string,
  args: string[],
  opts: Parameters<StdinRunner>[2],
): Promise<{ code: number; stderr: string }> => {
  const env = Deno.env.toObject();
  for (const name of opts.unsetEnv ?? []) delete env[name];
  const child = new Deno.Command(cmd, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env,
    clearEnv: true,
  }).spawn();
  let tail = "";
  const decoder = new TextDecoder();
  const text = async (stream: ReadableStream<Uint8Array>, sink: (t: string) => void) => {
    for await (const chunk of stream) sink(decoder.decode(chunk, { stream: true }));
  };
  let feedError: unknown;
  const feeding = opts.stdin.pipeTo(child.stdin).catch((e) => {
    feedError = e;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  });
  const [, , status] = await Promise.all([
    text(child.stdout, (t) => opts.onOutput?.(t)),
    text(child.stderr, (t) => {
      tail = (tail + t).slice(-STDERR_TAIL);
      opts.onOutput?.(t);
    }),
    child.status,
    feeding,
  ]);
  // The tar stream failed (bad layer, unsupported image): that is the error to report.
  if (feedError !== undefined && !(feedError instanceof Deno.errors.BrokenPipe)) {
    throw feedError;
  }
  return { code: status.code, stderr: tail };
};

/**
 * Runs `tar2sqfs` on `tar`. Errors of the tar stream itself (from
 * `flattenLayers`) are thrown as they are; a tar2sqfs failure is a
 * SregistryError naming its last line of output.
 */
export async function makeSquashfsFromTar(
  opts: Tar2sqfsOptions & {
    tar: ReadableStream<Uint8Array>;
    run?: StdinRunner;
    onOutput?: (chunk: string) => void;
  },
): Promise<void> {
  const args = tar2sqfsArgs(opts);
  const run = opts.run ?? runWithStdin;
  const result = await run("tar2sqfs", args, {
    stdin: opts.tar,
    unsetEnv: ["SOURCE_DATE_EPOCH"],
    onOutput: opts.onOutput,
  }).catch((error) => {
    if (error instanceof Deno.errors.NotFound) {
      throw new SregistryError(
        "Cannot build the image: tar2sqfs is not installed: install squashfs-tools-ng (apt-get install squashfs-tools-ng), or use the folder path",
        { cause: error },
      );
    }
    throw error;
  });
  if (result.code !== 0) {
    const detail = result.stderr.trim().split("\n").at(-1)?.trim() || `exit code ${result.code}`;
    throw new SregistryError(
      `Cannot build the image: tar2sqfs failed: ${detail}: check free space in the storage folder and run again`,
    );
  }
}
