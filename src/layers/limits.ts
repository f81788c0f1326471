/**
 * What every road can store of an entry's time and device numbers, decided
 * once in the layer engine so the native squashfs writer, the sandbox folder
 * and the folder builders (mksquashfs) give the same image.
 *
 * - Times: squashfs 4.0 stores an inode's mtime as unsigned 32-bit seconds
 *   (format.adoc "Inode Table"), 1970-01-01 to 2106-02-07. tar2sqfs clamps
 *   to that range (squashfs-tools-ng `process_tarball.c`: below 0 becomes 0,
 *   above 0xFFFFFFFF becomes 0xFFFFFFFF); mksquashfs 4.5 wraps what it reads
 *   from a folder (-1 became 2106). Clamping in the engine gives every road
 *   tar2sqfs's answer.
 * - `user.*` extended attributes: Linux allows them only on regular files
 *   and folders (xattr(7)), so no folder can hold one on a symbolic link,
 *   device or FIFO, mksquashfs can never store one, and `unsquashfs` (as
 *   root) stops with "write_xattr: failed" on an image that has one. They
 *   are dropped on every road.
 * - Devices: squashfs stores `major:minor` in Linux's `new_encode_dev` form
 *   (12-bit major, 20-bit minor), which is also all that Linux's `mknod(2)`
 *   takes: a number outside it can exist in no image and on no Linux folder.
 * @module
 */

import type { ByteString } from "../byte_string.ts";

/** The latest time squashfs can store: 2106-02-07T06:28:15Z, in seconds. */
export const MAX_TIME = 0xffffffff;

/**
 * `seconds` (may be fractional) when its whole part is in `0..MAX_TIME`,
 * else the nearest end of that range (0 for NaN).
 */
export function clampTime(seconds: number): number {
  const whole = Math.floor(seconds);
  if (whole >= 0 && whole <= MAX_TIME) return seconds;
  return whole > MAX_TIME ? MAX_TIME : 0;
}

/**
 * Clamps a tar header's `mtime` and `atime` in place ({@link clampTime});
 * true when the `mtime` changed (the only time an image keeps).
 */
export function clampEntryTimes(h: { mtime: number; atime: number }): boolean {
  const mtime = clampTime(h.mtime);
  h.atime = clampTime(h.atime);
  if (mtime === h.mtime) return false;
  h.mtime = mtime;
  return true;
}

/** True when `major:minor` fit squashfs and Linux (major < 4096, minor < 1048576). */
export function deviceFits(major: number, minor: number): boolean {
  const ok = (n: number, bits: number) => Number.isInteger(n) && n >= 0 && n < 2 ** bits;
  return ok(major, 12) && ok(minor, 20);
}

/**
 * Removes the `user.*` xattrs of `node` when it is not a regular file or
 * folder (Linux refuses them there: xattr(7)); returns how many.
 */
export function dropUserXattrs(
  node: { kind: string; xattrs?: Map<ByteString, Uint8Array> },
): number {
  if (!node.xattrs || node.kind === "file" || node.kind === "dir") return 0;
  let dropped = 0;
  for (const name of [...node.xattrs.keys()]) {
    if (!name.startsWith("user.")) continue;
    node.xattrs.delete(name);
    dropped++;
  }
  if (node.xattrs.size === 0) delete node.xattrs;
  return dropped;
}
