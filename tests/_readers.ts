/**
 * Reads a squashfs image (or the squashfs partition of a SIF, by offset) with
 * four independent readers and returns one comparable listing per reader:
 *
 * - `unsquashfs` (squashfs-tools): extracts into a temp folder (as root, so
 *   owners, devices and xattrs come out as stored);
 * - `sqfs2tar` (squashfs-tools-ng): its tar, parsed with the project's own
 *   tar reader (`src/tar/reader.ts`);
 * - `squashfuse_ll` (the FUSE reader Apptainer uses without root): mounted,
 *   walked, unmounted with `fusermount3 -u`; it keeps inode numbers, so hard
 *   links are seen;
 * - the Linux kernel: `mount -t squashfs -o loop,ro,offset=N` as root.
 *
 * A reader that cannot run here (not root, no /dev/fuse, no loop device, not
 * installed) is skipped: {@link readImage} returns a {@link Skipped} with the
 * reason, and {@link readAll} prints it.
 *
 * Folders on disk (an extracted or mounted image, umoci's unpacked rootfs)
 * are walked by {@link walkTree} with python3, which sees names as bytes
 * (Deno decodes non-UTF-8 names lossily) and reads xattrs. squashfuse 0.1.104
 * (Debian 12) has three xattr bugs, for any image (mksquashfs's too): it
 * swaps the `trusted.` and `security.` prefixes (corrected here), answers
 * ENODATA for a listed xattr whose value is empty (read here as the empty
 * value), and looks a name up by its suffix alone and by prefix, so
 * `user.k` and `trusted.k` on one inode both read the first one's value, and
 * so may `user.k5` and `user.k56` (not corrected: avoid such pairs in test
 * trees).
 * @module
 */

import { createHash, type Hash } from "node:crypto";
import { join } from "node:path";
import { byteStringToBytes, textToByteString } from "../src/byte_string.ts";
import { TarReader } from "../src/tar/reader.ts";
import type { DirNode, ImageNode } from "../src/layers/image_tree.ts";

/** Node types as the image tree names them. */
export type NodeType = ImageNode["kind"];

/** One path of an image, as a reader shows it. */
export interface ListedNode {
  /** Path from the root as a byte string, "/"-separated, no leading "./"; the root is ".". */
  path: string;
  type: NodeType;
  /** Permission bits with setuid/setgid/sticky (`& 0o7777`). */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Files: size in bytes. */
  size?: number;
  /** Files: SHA-256 of the content, hex. */
  sha256?: string;
  /** Symlinks: the target as a byte string. */
  target?: string;
  /** Devices. */
  major?: number;
  minor?: number;
  /** Files with other names for the same inode: the smallest path (byte order) of the group. */
  hardlink?: string;
  /** Extended attributes: name (byte string) to value as hex; absent when none. */
  xattrs?: Record<string, string>;
}

/** The four readers. */
export type ReaderName = "unsquashfs" | "sqfs2tar" | "squashfuse_ll" | "kernel";

/** Every reader, in the order {@link readAll} runs them. */
export const READERS: readonly ReaderName[] = ["unsquashfs", "sqfs2tar", "squashfuse_ll", "kernel"];

/** A reader that could not run here, and why. */
export interface Skipped {
  skipped: string;
}

/** Options of {@link readImage}. */
export interface ReadOptions {
  /** Byte offset of the squashfs in the file (a SIF partition); default 0. */
  offset?: number;
}

/**
 * The listing of the squashfs in `image` (at `options.offset`) as `reader`
 * shows it, sorted by path; or a {@link Skipped} when the reader cannot run
 * on this machine. Throws when the reader runs and fails (a corrupt image).
 */
export async function readImage(
  reader: ReaderName,
  image: string,
  options: ReadOptions = {},
): Promise<ListedNode[] | Skipped> {
  const offset = options.offset ?? 0;
  switch (reader) {
    case "unsquashfs":
      return await readWithUnsquashfs(image, offset);
    case "sqfs2tar":
      return await readWithSqfs2tar(image, offset);
    case "squashfuse_ll": {
      const listing = await readMounted(image, ["squashfuse_ll", "-o", `offset=${offset}`], [
        "fusermount3",
        "-u",
      ], fuseSkipReason());
      return "skipped" in listing || !(await squashfuseSwapsPrefixes()) ? listing : listing.map(
        unswapXattrPrefixes,
      );
    }
    case "kernel":
      return await readMounted(
        image,
        ["mount", "-t", "squashfs", "-o", `loop,ro,offset=${offset}`],
        ["umount"],
        Deno.uid() === 0 ? undefined : "the kernel reader needs root to mount",
      );
  }
}

/**
 * Reads `image` with every reader; skipped readers are printed
 * (`note: <reader> skipped: <why>`) and left out of the result.
 */
export async function readAll(
  image: string,
  options: ReadOptions = {},
): Promise<Map<ReaderName, ListedNode[]>> {
  const out = new Map<ReaderName, ListedNode[]>();
  for (const reader of READERS) {
    const listing = await readImage(reader, image, options);
    // deno-lint-ignore no-console
    if ("skipped" in listing) console.log(`note: ${reader} skipped: ${listing.skipped}`);
    else out.set(reader, listing);
  }
  return out;
}

/**
 * `listing` as `reader` can show it, for comparing with the reader's own
 * listing: a symlink unsquashfs creates has mode 0777 (the kernel and
 * squashfuse_ll show the stored mode); sqfs2tar has no sockets (tar cannot
 * hold them).
 */
export function visibleTo(reader: ReaderName, listing: ListedNode[]): ListedNode[] {
  if (reader === "unsquashfs") {
    return listing.map((node) => node.type === "symlink" ? { ...node, mode: 0o777 } : node);
  }
  return reader === "sqfs2tar" ? listing.filter((node) => node.type !== "socket") : listing;
}

/**
 * The listing an image tree should read back as; `sha256Of` gives each
 * file's content hash (the tests know what they wrote). Hard-link groups are
 * found by FileNode identity.
 */
export function listImageTree(
  root: DirNode,
  sha256Of: (node: Extract<ImageNode, { kind: "file" }>) => string,
): ListedNode[] {
  const out: ListedNode[] = [];
  const inodes = new Map<ImageNode, number>();
  const inodeOf = (node: ImageNode) => {
    let ino = inodes.get(node);
    if (ino === undefined) inodes.set(node, ino = inodes.size + 1);
    return ino;
  };
  const visit = (node: ImageNode, path: string) => {
    const listed: ListedNode & { ino?: number } = {
      path,
      type: node.kind,
      mode: node.mode & 0o7777,
      uid: node.uid,
      gid: node.gid,
      mtime: node.mtime,
    };
    if (node.xattrs && node.xattrs.size > 0) listed.xattrs = xattrsAsHex(node.xattrs);
    if (node.kind === "file") {
      listed.size = node.size;
      listed.sha256 = sha256Of(node);
      listed.ino = inodeOf(node);
    } else if (node.kind === "symlink") listed.target = node.target;
    else if (node.kind === "char" || node.kind === "block") {
      listed.major = node.major;
      listed.minor = node.minor;
    }
    out.push(listed);
    if (node.kind === "dir") {
      for (const [name, child] of node.children) {
        visit(child, path === "." ? name : `${path}/${name}`);
      }
    }
  };
  visit(root, ".");
  return finishListing(out);
}

/** Hex of each xattr value, by name. */
function xattrsAsHex(xattrs: Map<string, Uint8Array>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [...xattrs.keys()].sort()) out[name] = toHex(xattrs.get(name)!);
  return out;
}

/** Hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Sorts by path (byte order) and turns `ino` (when the entries carry one,
 * for files) into `hardlink` groups; drops `ino`.
 */
function finishListing(entries: (ListedNode & { ino?: number })[]): ListedNode[] {
  entries.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  const groups = new Map<number, string[]>();
  for (const entry of entries) {
    if (entry.type !== "file" || entry.ino === undefined) continue;
    const group = groups.get(entry.ino);
    if (group) group.push(entry.path);
    else groups.set(entry.ino, [entry.path]);
  }
  return entries.map(({ ino, ...entry }) => {
    const group = ino === undefined ? undefined : groups.get(ino);
    return group && group.length > 1 ? { ...entry, hardlink: group[0] } : entry;
  });
}

/**
 * The differences between two listings, one line each (empty when equal):
 * `only in <name>: <path>` and `<path>: <field> <a> != <b>`.
 */
export function diffListings(
  a: ListedNode[],
  b: ListedNode[],
  names: [string, string] = ["a", "b"],
): string[] {
  const out: string[] = [];
  const byPath = new Map(b.map((node) => [node.path, node]));
  for (const left of a) {
    const right = byPath.get(left.path);
    byPath.delete(left.path);
    if (!right) {
      out.push(`only in ${names[0]}: ${JSON.stringify(left.path)}`);
      continue;
    }
    const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
    for (const key of keys) {
      const x = JSON.stringify((left as unknown as Record<string, unknown>)[key]);
      const y = JSON.stringify((right as unknown as Record<string, unknown>)[key]);
      if (x !== y) out.push(`${JSON.stringify(left.path)}: ${key} ${x} != ${y}`);
    }
  }
  for (const path of byPath.keys()) out.push(`only in ${names[1]}: ${JSON.stringify(path)}`);
  return out;
}

const WALKER = String.raw`
import errno, hashlib, json, os, stat, sys
root = os.fsencode(sys.argv[1])
def getxattr(p, n):
    try:
        return os.getxattr(p, n, follow_symlinks=False).hex()
    except OSError as e:
        if e.errno == errno.ENODATA: return ""  # listed but empty: squashfuse 0.1.104 says ENODATA
        raise
def visit(rel):
    p = os.path.join(root, rel) if rel else root
    st = os.lstat(p)
    m = st.st_mode
    e = {"path": rel.decode("latin-1") if rel else ".", "mode": stat.S_IMODE(m),
         "uid": st.st_uid, "gid": st.st_gid, "mtime": int(st.st_mtime), "ino": st.st_ino}
    if stat.S_ISDIR(m): e["type"] = "dir"
    elif stat.S_ISREG(m):
        e["type"] = "file"; e["size"] = st.st_size
        h = hashlib.sha256()
        with open(p, "rb") as f:
            for b in iter(lambda: f.read(1 << 20), b""): h.update(b)
        e["sha256"] = h.hexdigest()
    elif stat.S_ISLNK(m): e["type"] = "symlink"; e["target"] = os.readlink(p).decode("latin-1")
    elif stat.S_ISCHR(m) or stat.S_ISBLK(m):
        e["type"] = "char" if stat.S_ISCHR(m) else "block"
        e["major"] = os.major(st.st_rdev); e["minor"] = os.minor(st.st_rdev)
    elif stat.S_ISFIFO(m): e["type"] = "fifo"
    elif stat.S_ISSOCK(m): e["type"] = "socket"
    try:
        names = sorted(os.listxattr(p, follow_symlinks=False))
    except OSError:
        names = []
    if names:
        e["xattrs"] = {n.encode("utf-8", "surrogateescape").decode("latin-1"): getxattr(p, n)
                       for n in names}
    sys.stdout.write(json.dumps(e) + "\n")
    if stat.S_ISDIR(m):
        for n in sorted(os.listdir(p)): visit(os.path.join(rel, n) if rel else n)
visit(b"")
`;

/**
 * The listing of the folder `dir` (the root "." included) read with python3:
 * names as bytes, owners as numbers, xattrs, device numbers, content hashes,
 * hard links by inode number. Throws when python3 fails.
 */
export async function walkTree(dir: string): Promise<ListedNode[]> {
  const { code, stdout, stderr } = await new Deno.Command("python3", {
    args: ["-c", WALKER, dir],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`walking ${dir} failed: ${new TextDecoder().decode(stderr)}`);
  const lines = new TextDecoder().decode(stdout).split("\n").filter((line) => line !== "");
  const entries = lines.map((line) => JSON.parse(line) as ListedNode & { ino: number });
  for (const entry of entries) if (entry.type !== "file") delete (entry as { ino?: number }).ino;
  return finishListing(entries);
}

async function run(
  cmd: string,
  args: string[],
): Promise<{ code: number; out: Uint8Array; err: string }> {
  try {
    const result = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    return { code: result.code, out: result.stdout, err: new TextDecoder().decode(result.stderr) };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { code: 127, out: new Uint8Array(), err: `${cmd} is not installed` };
    }
    throw error;
  }
}

async function readWithUnsquashfs(image: string, offset: number): Promise<ListedNode[] | Skipped> {
  if (Deno.uid() !== 0) {
    return { skipped: "unsquashfs extraction keeps owners and devices only as root" };
  }
  const dir = await Deno.makeTempDir({ prefix: "readers-unsquashfs-" });
  try {
    const target = join(dir, "root");
    const r = await run("unsquashfs", ["-no-progress", "-o", String(offset), "-d", target, image]);
    if (r.code === 127) return { skipped: r.err };
    if (r.code !== 0) throw new Error(`unsquashfs failed (${r.code}): ${r.err}`);
    return await walkTree(target);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The squashfs at `offset` of `image` as a file of its own (sqfs2tar has no offset option). */
async function sliceImage(image: string, offset: number, dir: string): Promise<string> {
  if (offset === 0) return image;
  const path = join(dir, "image.sqfs");
  using input = await Deno.open(image);
  await input.seek(offset, Deno.SeekMode.Start);
  await Deno.writeFile(path, input.readable);
  return path;
}

async function readWithSqfs2tar(image: string, offset: number): Promise<ListedNode[] | Skipped> {
  const dir = await Deno.makeTempDir({ prefix: "readers-sqfs2tar-" });
  try {
    const r = await run("sqfs2tar", ["-r", ".", await sliceImage(image, offset, dir)]);
    if (r.code === 127) return { skipped: r.err };
    if (r.code !== 0) throw new Error(`sqfs2tar failed (${r.code}): ${r.err}`);
    return listTar(r.out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * The listing of a tar archive (sqfs2tar's: paths under "./", hard links as
 * link entries, xattrs as PAX `SCHILY.xattr.*` records holding the value's
 * bytes, or `LIBARCHIVE.xattr.*` in base64). Names, link targets and xattr
 * names come out as byte strings, as the tar reader gives them.
 */
export function listTar(tar: Uint8Array): ListedNode[] {
  const entries: (ListedNode & { ino?: number })[] = [];
  const links: { path: string; to: string }[] = [];
  let hash: Hash | undefined;
  let current: ListedNode | undefined;
  const reader = new TarReader({
    header(h) {
      const path = tarPath(h.name);
      current = undefined;
      hash = undefined;
      if (h.type === "link") return void links.push({ path, to: tarPath(h.linkname) });
      if (h.type === "other") return;
      const type: NodeType = h.type === "directory" ? "dir" : h.type;
      current = { path, type, mode: h.mode, uid: h.uid, gid: h.gid, mtime: Math.floor(h.mtime) };
      if (type === "file") {
        current.size = h.size;
        hash = createHash("sha256");
      }
      if (type === "symlink") current.target = h.linkname;
      if (type === "char" || type === "block") {
        current.major = h.devmajor;
        current.minor = h.devminor;
      }
      const xattrs = tarXattrs(h.pax);
      if (Object.keys(xattrs).length > 0) current.xattrs = xattrs;
      entries.push(current);
    },
    body(chunk) {
      hash?.update(chunk);
    },
    end() {
      if (current && hash) current.sha256 = hash.digest("hex");
    },
  });
  reader.write(tar);
  let nextIno = 1;
  const byPath = new Map(entries.map((entry) => [entry.path, entry]));
  let left = links;
  while (left.length > 0) { // a link may name another link
    const unresolved = left.filter((link) => {
      const target = byPath.get(link.to);
      if (!target) return true;
      target.ino ??= nextIno++;
      const entry = { ...target, path: link.path };
      entries.push(entry);
      byPath.set(link.path, entry);
      return false;
    });
    if (unresolved.length === left.length) {
      const { path, to } = left[0];
      throw new Error(`hard link ${path} to a path not in the tar: ${to}`);
    }
    left = unresolved;
  }
  return finishListing(entries);
}

function tarXattrs(pax: Record<string, string>): Record<string, string> {
  const xattrs: Record<string, string> = {};
  for (const [key, value] of Object.entries(pax)) {
    if (key.startsWith("SCHILY.xattr.")) {
      xattrs[key.slice(13)] = toHex(byteStringToBytes(value));
    } else if (key.startsWith("LIBARCHIVE.xattr.")) {
      const name = textToByteString(decodeURIComponent(key.slice(17)));
      xattrs[name] = toHex(Uint8Array.from(atob(value), (c) => c.charCodeAt(0)));
    }
  }
  return Object.fromEntries(Object.entries(xattrs).sort(([a], [b]) => a < b ? -1 : 1));
}

function tarPath(name: string): string {
  let path = name.replace(/\/+$/, "");
  if (path.startsWith("./")) path = path.slice(2);
  return path === "" ? "." : path;
}

/**
 * squashfuse before 0.2.0 shows `trusted.*` xattrs as `security.*` and the
 * reverse, for any image (vasi/squashfuse#78, fixed by #83; Debian 12 ships
 * 0.1.104; checked here with a mksquashfs image too).
 */
async function squashfuseSwapsPrefixes(): Promise<boolean> {
  const r = await run("squashfuse_ll", ["--version"]);
  const m = new TextDecoder().decode(r.out).concat(r.err).match(/squashfuse (\d+)\.(\d+)/);
  return m !== null && Number(m[1]) === 0 && Number(m[2]) < 2;
}

function unswapXattrPrefixes(node: ListedNode): ListedNode {
  if (!node.xattrs) return node;
  const xattrs: Record<string, string> = {};
  for (const [name, value] of Object.entries(node.xattrs)) {
    const fixed = name.startsWith("trusted.")
      ? `security.${name.slice(8)}`
      : name.startsWith("security.")
      ? `trusted.${name.slice(9)}`
      : name;
    xattrs[fixed] = value;
  }
  return {
    ...node,
    xattrs: Object.fromEntries(Object.entries(xattrs).sort(([a], [b]) => a < b ? -1 : 1)),
  };
}

function fuseSkipReason(): string | undefined {
  try {
    Deno.statSync("/dev/fuse");
  } catch {
    return "/dev/fuse is missing";
  }
  return undefined;
}

async function readMounted(
  image: string,
  mount: string[],
  unmount: string[],
  skip: string | undefined,
): Promise<ListedNode[] | Skipped> {
  if (skip) return { skipped: skip };
  const dir = await Deno.makeTempDir({ prefix: `readers-${mount[0]}-` });
  let mounted = false;
  try {
    const r = await run(mount[0], [...mount.slice(1), image, dir]);
    if (r.code !== 0) {
      const why = `${mount.join(" ")} failed: ${r.err.trim()}`;
      // A machine that cannot mount at all skips; one that mounts a mksquashfs image must mount ours.
      if (await mountsReference(mount, unmount)) throw new Error(why);
      return { skipped: why };
    }
    mounted = true;
    let listing: ListedNode[] | undefined;
    let failure: unknown;
    try {
      listing = await walkTree(dir);
    } catch (error) {
      failure = error;
    }
    const u = await run(unmount[0], [...unmount.slice(1), dir]);
    if (u.code !== 0) throw new Error(`${unmount.join(" ")} ${dir} failed: ${u.err}`);
    mounted = false;
    if (failure) throw failure;
    return listing!;
  } finally {
    if (!mounted) await Deno.remove(dir, { recursive: true });
  }
}

const references = new Map<string, Promise<boolean>>();

/** Whether `mount` can mount a small image made by mksquashfs here (cached per command). */
function mountsReference(mount: string[], unmount: string[]): Promise<boolean> {
  const key = mount[0];
  let known = references.get(key);
  if (!known) {
    known = (async () => {
      const dir = await Deno.makeTempDir({ prefix: "readers-reference-" });
      try {
        await Deno.mkdir(`${dir}/src`);
        await Deno.writeTextFile(`${dir}/src/f`, "reference\n");
        const made = await run("mksquashfs", [
          `${dir}/src`,
          `${dir}/ref.sqfs`,
          "-quiet",
          "-no-progress",
        ]);
        if (made.code !== 0) return false;
        await Deno.mkdir(`${dir}/mnt`);
        const plain = mount.map((arg) => arg.replace(/(^|,)offset=\d+/, "$1offset=0"));
        if (
          (await run(plain[0], [...plain.slice(1), `${dir}/ref.sqfs`, `${dir}/mnt`])).code !== 0
        ) {
          return false;
        }
        await run(unmount[0], [...unmount.slice(1), `${dir}/mnt`]);
        return true;
      } finally {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    })();
    references.set(key, known);
  }
  return known;
}
