/**
 * Containment of tar member names and link targets inside a root directory.
 * `cleanEntryName` is pure; `resolveInRoot` reads the tree with synchronous
 * lstat/readlink and resolves symlinks as if the process were chrooted at the
 * root, so the path it returns is always inside the root.
 * @module
 */
import { join } from "node:path";

/** Longest relative path accepted, in UTF-8 bytes (Linux PATH_MAX minus the NUL). */
export const MAX_PATH_BYTES = 4095;
/** Symlinks followed in one resolution before giving up, as Linux does (ELOOP). */
export const MAX_SYMLINKS = 40;

/**
 * Cleans a member name into a relative `/`-separated path: drops leading `/`
 * and `./`, empty and `.` components, and resolves `..` lexically, clamped at
 * the root (so `../../etc/passwd` becomes `etc/passwd`, as umoci and Docker
 * do). Returns `""` for the root itself and `undefined` for names that cannot
 * be used at all (empty, or containing a NUL byte). Backslashes are ordinary
 * characters on Linux and are kept.
 *
 * @example
 * ```ts
 * cleanEntryName("./usr/../etc//passwd"); // "etc/passwd"
 * cleanEntryName("/../../x"); // "x"
 * ```
 */
export function cleanEntryName(name: string): string | undefined {
  if (name === "" || name.includes("\0")) return undefined;
  if (!UNCLEAN.test(name)) return name; // most names: nothing to clean
  const out: string[] = [];
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return out.join("/");
}

/** True when a member name needed re-rooting (absolute, or with `..`). */
export function wasReRooted(name: string): boolean {
  return name.startsWith("/") || (name.includes("..") && name.split("/").includes(".."));
}

/**
 * A tar member's name (a byte string, `../byte_string.ts`) as the extractor
 * uses it: cleaned (see {@link cleanEntryName}), or the reason it cannot be
 * used (empty, NUL, or longer than {@link MAX_PATH_BYTES}).
 */
export function checkEntryName(
  raw: string,
): { name: string; reRooted: boolean } | { reason: string } {
  const name = cleanEntryName(raw);
  if (name === undefined) return { reason: "the name is empty or has a NUL byte" };
  if (name.length > MAX_PATH_BYTES) {
    return { reason: `the name is ${name.length} bytes long, over ${MAX_PATH_BYTES}` };
  }
  return { name, reRooted: wasReRooted(raw) };
}

/** A name with an empty, `.` or `..` component (or a leading or trailing slash). */
const UNCLEAN = /(^|\/)\.{0,2}(\/|$)/;

/** Result of `resolveRelative`. */
export interface Resolved {
  /** The resolved path relative to the root ("" is the root). */
  rel: string;
  /** True when every component existed (the result can be cached until something is removed). */
  complete: boolean;
}

function missing(e: unknown): boolean {
  return e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory;
}

/**
 * Resolves `relPath` inside `root` as if chrooted there: symlinks in parent
 * components (and in the final one with `followFinal`) are followed, absolute
 * link targets restart from `root`, `..` never climbs above `root`. Missing
 * components are taken literally. Throws `Deno.errors.FilesystemLoop` after
 * `MAX_SYMLINKS` links.
 */
export function resolveRelative(
  root: string,
  relPath: string,
  opts: { followFinal?: boolean } = {},
): Resolved {
  const pending = relPath.split("/").filter((c) => c !== "" && c !== ".").reverse();
  const done: string[] = [];
  let links = 0;
  let complete = true;
  while (pending.length > 0) {
    const comp = pending.pop()!;
    if (comp === "..") {
      done.pop();
      continue;
    }
    if (!complete || (pending.length === 0 && !opts.followFinal)) {
      done.push(comp);
      continue;
    }
    const path = join(root, ...done, comp);
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(path);
    } catch (e) {
      if (!missing(e)) throw e;
      complete = false;
      done.push(comp);
      continue;
    }
    if (!info.isSymlink) {
      done.push(comp);
      continue;
    }
    if (++links > MAX_SYMLINKS) {
      throw new Deno.errors.FilesystemLoop(`too many levels of symbolic links in "${relPath}"`);
    }
    const target = Deno.readLinkSync(path);
    if (target.startsWith("/")) done.length = 0;
    pending.push(...target.split("/").filter((c) => c !== "" && c !== ".").reverse());
  }
  return { rel: done.join("/"), complete };
}

/**
 * `resolveRelative` joined to `root`: an absolute path that is `root` or below it.
 *
 * @example
 * ```ts ignore
 * // with root/lib -> /usr/lib and root/usr/lib a directory:
 * resolveInRoot("/tmp/root", "lib/x.so", { followFinal: false }); // "/tmp/root/usr/lib/x.so"
 * ```
 */
export function resolveInRoot(
  root: string,
  relPath: string,
  opts: { followFinal?: boolean } = {},
): string {
  return join(root, resolveRelative(root, relPath, opts).rel);
}
