/**
 * Setting extended attributes on the sandbox folder: Deno (2.9) and node:fs
 * have no setxattr, so `lsetxattr(2)` is called in the C library through
 * Deno's FFI (`--allow-ffi`). The `setfattr` program is not installed on
 * many login nodes and cannot say which attribute failed in a batch.
 * @module
 */
import { type ByteString, byteStringToBytes } from "../byte_string.ts";

/** Sets attribute `name` (a byte string) of `path`, not following a final symlink; 0 or an errno. */
export type SetXattr = (path: string, name: ByteString, value: Uint8Array) => number;

/** Linux errno values the summary names (asm-generic/errno-base.h, errno.h). */
export const ERRNO = {
  EPERM: 1,
  EACCES: 13,
  ENOSPC: 28,
  ERANGE: 34,
  E2BIG: 7,
  EINVAL: 22,
  EOPNOTSUPP: 95,
} as const;

const SYMBOLS = {
  lsetxattr: { parameters: ["buffer", "buffer", "buffer", "usize", "i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

const encoder = new TextEncoder();

function cString(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/**
 * `lsetxattr` of the C library (glibc's `libc.so.6`, else musl's `libc.so`),
 * or why it cannot be called (no `--allow-ffi`, no such library).
 */
export function openSetXattr(): SetXattr | { unavailable: string } {
  let lib;
  try {
    lib = Deno.dlopen("libc.so.6", SYMBOLS);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) {
      return { unavailable: "sregistry was run without --allow-ffi" };
    }
    try {
      lib = Deno.dlopen("libc.so", SYMBOLS);
    } catch {
      return { unavailable: `the C library could not be loaded: ${(e as Error).message}` };
    }
  }
  const { lsetxattr, __errno_location } = lib.symbols;
  return (path, name, value) => {
    const data = value.length > 0 ? value.slice() : new Uint8Array(1);
    const r = lsetxattr(
      cString(encoder.encode(path)),
      cString(byteStringToBytes(name)),
      data,
      BigInt(value.length),
      0,
    );
    if (r === 0) return 0;
    const at = __errno_location();
    return at === null ? -1 : new Deno.UnsafePointerView(at).getInt32();
  };
}

/**
 * Sets each of `xattrs` on `path` (not following a link) with `set`, or
 * counts them all as not set when `set` is unavailable.
 * @returns one `<namespace>.* (<why>)` per attribute not set, for the summary
 */
export function setXattrs(
  set: SetXattr | { unavailable: string },
  path: string,
  xattrs: Iterable<[ByteString, Uint8Array]>,
  isRoot: boolean,
): string[] {
  const failed: string[] = [];
  for (const [name, value] of xattrs) {
    const errno = typeof set === "function" ? set(path, name, value) : -1;
    if (errno === 0) continue;
    const why = typeof set === "function" ? xattrFailure(errno, isRoot) : set.unavailable;
    failed.push(`${name.split(".")[0]}.* (${why})`);
  }
  return failed;
}

/** Why `lsetxattr` refused an attribute, for the summary. */
function xattrFailure(errno: number, isRoot: boolean): string {
  if (errno === ERRNO.EPERM || errno === ERRNO.EACCES) {
    return isRoot ? "not permitted" : "needs root";
  }
  if (errno === ERRNO.EOPNOTSUPP) return "not supported by the folder's file system";
  if (errno === ERRNO.EINVAL) return "a value Linux refuses";
  if (errno === ERRNO.ENOSPC || errno === ERRNO.E2BIG || errno === ERRNO.ERANGE) {
    return "too large for the folder's file system";
  }
  return `refused with errno ${errno}`;
}
