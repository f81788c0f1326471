/**
 * Where a pull unpacks the root filesystem it turns into a SIF (the sandbox is
 * removed afterwards), and whether it fits.
 *
 * Creating files dominates unpacking images with many small files, and costs
 * far more on disks (measured on our machines: 12,000 files in 5 s on ext4,
 * 0.3 s on tmpfs). So when the user has not chosen a folder with
 * SREGISTRY_TMPDIR, a pull unpacks in a RAM-backed folder (the caller passes
 * `$XDG_RUNTIME_DIR`, the per-user tmpfs of systemd machines; Deno refuses
 * `/dev/shm` without --allow-all) when the image
 * fits comfortably: its estimated unpacked size is at most a quarter of the
 * memory available and half of the free space there. Otherwise it uses the
 * temp folder (TMPDIR or /tmp).
 *
 * Free space is checked before starting, but an image's unpacked size is not
 * knowable up front (a manifest gives only compressed sizes; gzip shrinks a
 * layer 1x to 1000x), so the check refuses only an image that cannot fit
 * whatever it holds: less room than its compressed size. Past the estimate
 * it warns and goes on; a disk that really fills stops the pull with a clear
 * error (`_no_space.ts`) and removes what was written.
 * @module
 */
import { NoSpaceError } from "../errors.ts";
import { humanSize } from "../size.ts";

/** Free bytes of the file system holding `dir` (from `df`), or undefined when unknown. */
export function freeBytes(dir: string): number | undefined {
  try {
    const out = new Deno.Command("df", { args: ["-Pk", dir], stdout: "piped", stderr: "null" })
      .outputSync();
    if (!out.success) return undefined;
    const line = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
    const available = Number(line.split(/\s+/)[3]);
    return Number.isFinite(available) ? available * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Unpacked bytes an image likely needs, estimated from its compressed layer
 * sizes (bytes; unknown sizes below 0 count as 0): a guess, for choosing a
 * folder and warning, never for refusing.
 */
export function estimateUnpacked(layerSizes: number[]): number {
  // Layers compress about 2.5-3.5x with gzip; 4x leaves room, plus metadata.
  return layerSizes.reduce((n, s) => n + Math.max(s, 0) * 4, 0) + 16 * 2 ** 20;
}

/**
 * The fewest bytes an image can unpack to, from its compressed layer sizes
 * (bytes; unknown sizes count as 0): a layer is never much smaller unpacked
 * than compressed (deflate's and zstd's worst case adds well under 1%, so
 * 99% of the sum is a floor).
 */
export function leastUnpacked(layerSizes: number[]): number {
  return Math.floor(layerSizes.reduce((n, s) => n + Math.max(s, 0), 0) * 0.99);
}

function usableDir(dir: string): boolean {
  try {
    return Deno.statSync(dir).isDirectory;
  } catch {
    return false;
  }
}

/** Choices that depend on the machine, injectable for tests. */
export interface WorkspaceProbe {
  free: (dir: string) => number | undefined;
  availableMemory: () => number | undefined;
  exists: (dir: string) => boolean;
}

const PROBE: WorkspaceProbe = {
  free: freeBytes,
  availableMemory: () => {
    try {
      return Deno.systemMemoryInfo().available;
    } catch {
      return undefined;
    }
  },
  exists: usableDir,
};

/** Options of {@link chooseWorkspace}; sizes in bytes. */
export interface WorkspaceOptions {
  /** SREGISTRY_TMPDIR (or the folder given), always used when set. */
  explicit?: string;
  /** The temp folder. */
  fallback: string;
  /** The estimated unpacked size ({@link estimateUnpacked}). */
  needed: number;
  /** The least the image can need ({@link leastUnpacked}); default `needed`. */
  least?: number;
  /** The RAM-backed folder, tried first. */
  ram?: string;
  /** The setting that moves the folder, for messages; default SREGISTRY_TMPDIR. */
  variable?: string;
  /** Told when the free space is under the estimate but over the least. */
  onWarning?: (text: string) => void;
}

/**
 * The folder to unpack in: `explicit` (SREGISTRY_TMPDIR) when given, else
 * `ram` when given and the image fits there comfortably, else `fallback`.
 * Free space under `least` refuses; under `needed` only warns.
 * @throws {NoSpaceError} when the chosen folder has less free space than `least`
 */
export function chooseWorkspace(
  options: WorkspaceOptions,
  probe: WorkspaceProbe = PROBE,
): string {
  const ram = options.ram;
  if (!options.explicit && ram && probe.exists(ram)) {
    const free = probe.free(ram);
    const memory = probe.availableMemory();
    if (
      free !== undefined && memory !== undefined && options.needed <= free / 2 &&
      options.needed <= memory / 4
    ) {
      return ram;
    }
  }
  const dir = options.explicit ?? options.fallback;
  const free = probe.exists(dir) ? probe.free(dir) : undefined;
  if (free === undefined || free >= options.needed) return dir;
  const variable = options.variable ?? "SREGISTRY_TMPDIR";
  const least = options.least ?? options.needed;
  if (free < least) {
    throw new NoSpaceError({
      action: `unpack the image in ${dir}`,
      path: dir,
      variable,
      needed: least,
      free,
    });
  }
  const move = variable.startsWith("--")
    ? `give ${variable} a folder with more room`
    : `set ${variable} to a folder with more room`;
  options.onWarning?.(
    `${dir} has ${humanSize(free)} free and the image may need about ${
      humanSize(options.needed)
    } unpacked (estimated from its compressed size): going on; if the space runs out the pull stops and removes what it wrote (free space there or ${move})`,
  );
  return dir;
}
