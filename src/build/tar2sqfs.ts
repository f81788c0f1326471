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
import { type CommandRunner, runBuildTool } from "./command.ts";
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

/**
 * Runs `tar2sqfs` on `tar`. Errors of the tar stream itself (from
 * `flattenLayers`) are thrown as they are; a tar2sqfs failure is a
 * SregistryError naming its last line of output.
 */
export function makeSquashfsFromTar(
  opts: Tar2sqfsOptions & {
    tar: ReadableStream<Uint8Array>;
    run?: CommandRunner;
    onOutput?: (chunk: string) => void;
  },
): Promise<void> {
  return runBuildTool("tar2sqfs", tar2sqfsArgs(opts), {
    run: opts.run,
    stdin: opts.tar,
    unsetEnv: ["SOURCE_DATE_EPOCH"],
    onOutput: opts.onOutput,
    install: "squashfs-tools-ng (apt-get install squashfs-tools-ng), or use the folder path",
  });
}
