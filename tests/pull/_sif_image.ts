/**
 * Reading a pulled SIF's image for comparisons: the partition offset, and
 * the part of a listing that comes from the image's layers (what the
 * Singularity metadata step adds left out).
 * @module
 */
import { assert } from "../_assert.ts";
import type { ListedNode } from "../_readers.ts";

const METADATA =
  /^(\.singularity\.d|singularity|\.run|\.exec|\.shell|\.test|environment|dev|proc|root|var\/tmp|tmp|sys|home|etc\/hosts|etc\/resolv\.conf)(\/|$)/;
/** Folders the metadata step writes into: their time is the build's. */
const TOUCHED = new Set([".", "etc", "var"]);

/** Runs `cmd`; its stdout, or throws with its stderr. */
export async function run(
  cmd: string,
  args: string[],
  env?: Record<string, string>,
): Promise<string> {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
  const err = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")}: ${err}`);
  return new TextDecoder().decode(out.stdout);
}

/** The partition offset of a SIF's squashfs, from `siftool list`. */
export async function partitionOffset(sif: string): Promise<number> {
  const list = await run("siftool", ["list", sif]);
  const fs = /\|(\d+)-\d+\s*\|FS \(Squashfs\/\*System\/amd64\)/.exec(list);
  assert(fs, list);
  return Number(fs[1]);
}

/**
 * The image's own paths: metadata left out (with the folders the metadata
 * step may create, whole), and the time of folders the metadata touched.
 */
export function imagePart(listing: ListedNode[]): ListedNode[] {
  return listing.filter((n) => !METADATA.test(n.path)).map((n) =>
    TOUCHED.has(n.path) ? { ...n, mtime: 0 } : n
  );
}

/**
 * What the metadata step writes whatever the image holds; `/etc/hosts` and
 * `/etc/resolv.conf` are made empty (mode 0644), as Apptainer's build does
 * (its `makeFile` creates them or truncates them, for the runtime to bind).
 */
const ADDED =
  /^(\.singularity\.d(\/|$)|singularity$|\.(run|exec|shell|test)$|environment$|etc\/hosts$|etc\/resolv\.conf$)/;
/** Folders the metadata step may create when the image lacks them, or touch when it has them. */
const MAY_TOUCH = new Set([
  ".",
  "etc",
  "var",
  "dev",
  "proc",
  "sys",
  "tmp",
  "var/tmp",
  "home",
  "root",
]);

/**
 * For images that have their own `/root`, `/home`, `/tmp`... (real
 * distributions): only what the metadata step adds is left out, and the
 * paths it may touch are compared without their time.
 */
export function distributionPart(listing: ListedNode[]): ListedNode[] {
  return listing.filter((n) => !ADDED.test(n.path)).map((n) =>
    MAY_TOUCH.has(n.path) ? { ...n, mtime: 0 } : n
  );
}
