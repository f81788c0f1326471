/**
 * Snapshots of a directory tree for tests: every entry below a root with its
 * type, permission bits, owner, size, content hash, link target, mtime and
 * hardlink group, read with lstat (symlinks are never followed). Two
 * snapshots compare with `diffTrees`, which lists human-readable differences.
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";

/** One entry of a snapshot. */
export interface TreeEntry {
  type: "file" | "dir" | "symlink" | "char" | "block" | "fifo" | "socket";
  /** Permission bits including setuid, setgid and sticky (`mode & 0o7777`). */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes for files, link length for symlinks, 0 for the rest. */
  size: number;
  /** `sha256:<hex>` of the content, files only. */
  sha256?: string;
  /** Link target as written, symlinks only. */
  target?: string;
  /** Seconds since the epoch: files and symlinks, directories with `dirMtime`. */
  mtime?: number;
  /** Device number, char and block devices only. */
  rdev?: number;
  /** Smallest relative path of the files sharing this inode (the path itself when alone). */
  inoGroup?: string;
}

/** Options of `snapshotTree`. */
export interface SnapshotOptions {
  /** Leaves out entries (and, for directories, their contents) for which it returns true. */
  ignore?: (relPath: string) => boolean;
  /** Records directory mtimes too. */
  dirMtime?: boolean;
}

function typeOf(info: Deno.FileInfo): TreeEntry["type"] {
  if (info.isSymlink) return "symlink";
  if (info.isDirectory) return "dir";
  if (info.isFile) return "file";
  if (info.isCharDevice) return "char";
  if (info.isBlockDevice) return "block";
  if (info.isFifo) return "fifo";
  return "socket";
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path);
  for await (const chunk of file.readable) hash.update(chunk);
  return "sha256:" + hash.digest("hex");
}

/**
 * Reads every entry below `root` (not `root` itself), keyed by relative path
 * with `/` separators, sorted.
 */
export async function snapshotTree(
  root: string,
  opts: SnapshotOptions = {},
): Promise<Map<string, TreeEntry>> {
  const out = new Map<string, TreeEntry>();
  const inodes = new Map<string, string>();
  const walk = async (rel: string) => {
    const names: string[] = [];
    for await (const e of Deno.readDir(join(root, rel))) names.push(e.name);
    names.sort();
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      if (opts.ignore?.(path)) continue;
      const abs = join(root, path);
      const info = await Deno.lstat(abs);
      const type = typeOf(info);
      const entry: TreeEntry = {
        type,
        mode: (info.mode ?? 0) & 0o7777,
        uid: info.uid ?? -1,
        gid: info.gid ?? -1,
        size: type === "file" || type === "symlink" ? info.size : 0,
      };
      if (type === "file") {
        entry.sha256 = await hashFile(abs);
        const key = `${info.dev}:${info.ino}`;
        const first = inodes.get(key);
        if (first === undefined || path < first) inodes.set(key, path);
      }
      if (type === "symlink") entry.target = await Deno.readLink(abs);
      if (type === "char" || type === "block") entry.rdev = info.rdev ?? undefined;
      if (type !== "dir" || opts.dirMtime) {
        entry.mtime = Math.floor((info.mtime?.getTime() ?? 0) / 1000);
      }
      out.set(path, entry);
      if (type === "file") (entry as { _ino?: string })._ino = `${info.dev}:${info.ino}`;
      if (type === "dir") await walk(path);
    }
  };
  await walk("");
  for (const entry of out.values()) {
    const e = entry as TreeEntry & { _ino?: string };
    if (e._ino !== undefined) {
      e.inoGroup = inodes.get(e._ino);
      delete e._ino;
    }
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const ALL_FIELDS: (keyof TreeEntry)[] = [
  "type",
  "mode",
  "uid",
  "gid",
  "size",
  "sha256",
  "target",
  "mtime",
  "rdev",
  "inoGroup",
];

function show(field: keyof TreeEntry, value: unknown): string {
  if (value === undefined) return "(none)";
  if (field === "mode") return "0" + (value as number).toString(8).padStart(4, "0");
  return JSON.stringify(value);
}

/**
 * Lists differences between two snapshots, one line each: `only in a: path`,
 * `only in b: path`, or `path: <field> <a> != <b>`. Empty when equal on the
 * compared fields (default: all).
 */
export function diffTrees(
  a: Map<string, TreeEntry>,
  b: Map<string, TreeEntry>,
  opts: { fields?: (keyof TreeEntry)[] } = {},
): string[] {
  const fields = opts.fields ?? ALL_FIELDS;
  const out: string[] = [];
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  for (const path of paths) {
    const ea = a.get(path);
    const eb = b.get(path);
    if (!eb) {
      out.push(`only in a: ${path} (${ea!.type})`);
      continue;
    }
    if (!ea) {
      out.push(`only in b: ${path} (${eb.type})`);
      continue;
    }
    for (const field of fields) {
      if (ea[field] !== eb[field]) {
        out.push(`${path}: ${field} ${show(field, ea[field])} != ${show(field, eb[field])}`);
      }
    }
  }
  return out;
}

/** True when `path` exists (symbolic links followed). */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
