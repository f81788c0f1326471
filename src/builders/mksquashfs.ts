/**
 * Building the root filesystem's squashfs image with `mksquashfs` (Debian
 * `squashfs-tools`, 4.5 or later) through an injectable {@link CommandRunner}.
 * @module
 */

import { type CommandRunner, runBuildTool } from "./command.ts";

/** Compressions every squashfs reader in the kernel supports; gzip is read by every runtime. */
export type Compression = "gzip" | "zstd" | "lz4" | "xz";

/**
 * Default `-Xcompression-level` per compression (undefined: mksquashfs's own,
 * which is 9 for gzip). gzip 1 measured with mksquashfs 4.5.1, 2 processors,
 * a 101 MB tree (Python and Perl libraries, binaries), warm cache:
 * level 1 0.7 s / 37.8 MB, level 6 1.8 s / 34.0 MB, level 9 11.3 s / 33.7 MB
 * (zstd default 16.8 s / 30.6 MB, lz4 0.4 s / 50.0 MB). Level 1 is about 15x
 * faster than 9 for 12% more bytes; pulls favour speed. zstd gets level 3,
 * zstd's own default, not the squashfs tools' 15: a cold pull of the
 * benchmark image took 0.9 s at level 3 against 7.6 to 8.5 s at 15, and the
 * image is smaller than gzip's at level 9.
 */
export const DEFAULT_LEVELS: Record<Compression, number | undefined> = {
  gzip: 1,
  zstd: 3,
  lz4: undefined,
  xz: undefined,
};

/** What to squash and how. */
export interface SquashfsOptions {
  source: string;
  output: string;
  compression: Compression;
  /** Compression level; default {@link DEFAULT_LEVELS}. lz4 has none. */
  level?: number;
  /** `-processors`, usually `availableProcessors()` (`src/processors.ts`). */
  processors: number;
  /** Root keeps the layers' owners; others get `-all-root`. */
  isRoot: boolean;
  /**
   * SOURCE_DATE_EPOCH: the file system's time (clamped to u32 seconds). The
   * files keep the times the layer engine gave the folder (the layers' own,
   * this time for what sregistry adds), as in the native writer's image.
   */
  deterministicTime?: number;
  /** `-mem`: memory mksquashfs may use (default {@link DEFAULT_MEMORY}). */
  memory?: string;
}

/**
 * mksquashfs takes a quarter of the machine's memory by default, which is
 * unkind on shared login nodes; 128 MiB kept the build time the same on a
 * 300 MB image (measured) and the whole pull under 256 MB.
 */
export const DEFAULT_MEMORY = "128M";

/** The `mksquashfs` arguments for `opts`. */
export function mksquashfsArgs(opts: SquashfsOptions): string[] {
  if (!Number.isInteger(opts.processors) || opts.processors < 1) {
    throw new RangeError(`processors must be a positive integer, got ${opts.processors}`);
  }
  const args = [opts.source, opts.output, "-noappend", "-comp", opts.compression];
  const level = opts.level ?? DEFAULT_LEVELS[opts.compression];
  if (level !== undefined) {
    if (opts.compression === "lz4") throw new RangeError("lz4 has no compression level");
    args.push("-Xcompression-level", String(level));
  }
  // -xattrs (mksquashfs's default, said outright): the folder's xattrs go into the image.
  args.push("-processors", String(opts.processors), "-xattrs");
  if (!opts.isRoot) args.push("-all-root");
  if (opts.deterministicTime !== undefined) {
    // mksquashfs refuses a time past u32 ("invalid time value"); the native writer clamps.
    const time = String(Math.min(Math.max(Math.floor(opts.deterministicTime), 0), 0xffffffff));
    args.push("-mkfs-time", time);
  }
  args.push("-no-progress", "-mem", opts.memory ?? DEFAULT_MEMORY, "-quiet");
  return args;
}

/**
 * Runs `mksquashfs`. SOURCE_DATE_EPOCH is removed from its environment (it
 * refuses the variable together with explicit time options; the time is
 * passed with `deterministicTime` instead).
 */
export function makeSquashfs(
  opts: SquashfsOptions & { run?: CommandRunner; onOutput?: (chunk: string) => void },
): Promise<void> {
  return runBuildTool("mksquashfs", mksquashfsArgs(opts), {
    run: opts.run,
    onOutput: opts.onOutput,
    unsetEnv: ["SOURCE_DATE_EPOCH"],
    install: "squashfs-tools (apt-get install squashfs-tools), or use --builder apptainer",
  });
}
