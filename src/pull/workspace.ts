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
 * temp folder (TMPDIR or /tmp). Free space is checked before starting, with a
 * clear error when the image will not fit.
 * @module
 */
import { NoSpaceError } from "../errors.ts";

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

/** Unpacked bytes an image needs, estimated from its compressed layer sizes. */
export function estimateUnpacked(layerSizes: number[]): number {
  // Layers compress about 2.5-3.5x with gzip; 4x leaves room, plus metadata.
  return layerSizes.reduce((n, s) => n + Math.max(s, 0) * 4, 0) + 16 * 2 ** 20;
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

/**
 * The folder to unpack in: `explicit` (SREGISTRY_TMPDIR) when given, else
 * `ram` when given and the image fits there comfortably, else `fallback`.
 * @throws {NoSpaceError} when the chosen folder lacks the space
 */
export function chooseWorkspace(
  options: { explicit?: string; fallback: string; needed: number; ram?: string; variable?: string },
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
  if (free !== undefined && free < options.needed) {
    const variable = options.variable ?? "SREGISTRY_TMPDIR";
    throw new NoSpaceError({
      action: `unpack the image in ${dir}`,
      path: dir,
      variable,
      needed: options.needed,
      free,
    });
  }
  return dir;
}
