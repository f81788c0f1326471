/**
 * Files added to the tree after the layers (the Singularity metadata of
 * `src/build/metadata.ts`), through the layer engine, so every backend gets
 * them: paths are resolved as in a chroot (symbolic links planted by the
 * image such as `/etc -> /host/etc` stay inside), a link standing where a
 * file goes is replaced by the file, a file written over an existing one
 * keeps its node (its hard links and owner), a symbolic link never replaces
 * what the image has there (as Apptainer does). Whatever is created or
 * changed, and the folders holding it, get the engine's time `now`.
 * @module
 */
import { SregistryError } from "../errors.ts";
import { type ByteString, textToByteString } from "../byte_string.ts";
import type { LayerEngine } from "./engine.ts";
import type { FileNode } from "./image_tree.ts";
import { lookup, resolveInTree } from "./tree_paths.ts";

/** One file, folder or symbolic link to add; `path` absolute within the root. */
export interface ExtraFile {
  path: string;
  type: "file" | "dir" | "symlink";
  /** Default 0644 for files, 0755 for folders. */
  mode?: number;
  content?: string;
  target?: string;
}

/**
 * Adds `files`, in order, to the engine's tree and backends.
 * @throws {SregistryError} when a path cannot be written (a folder where a
 *   file goes, a symbolic link loop, a file where a folder goes)
 */
export async function applyExtraFiles(engine: LayerEngine, files: ExtraFile[]): Promise<void> {
  const now = engine.now;
  const touch = (rel: ByteString) => {
    const slash = rel.lastIndexOf("/");
    const parent = lookup(engine.root, slash < 0 ? "" : rel.slice(0, slash));
    if (parent?.kind === "dir") parent.mtime = now;
  };
  const resolve = (path: string, followLast: boolean) => {
    try {
      return resolveInTree(engine.root, textToByteString(path), followLast).rel;
    } catch (e) {
      if (!(e instanceof Deno.errors.FilesystemLoop)) throw e;
      throw new SregistryError(
        `Cannot write image metadata: too many symbolic links resolving ${path}: the image's filesystem is broken`,
        { cause: e },
      );
    }
  };
  const mkdirs = async (rel: ByteString, mode: number) => {
    const before = new Set<ByteString>();
    for (let r = rel; lookup(engine.root, r) === undefined && r !== ""; r = dirOf(r)) before.add(r);
    try {
      await engine.mkdirs(rel, mode);
    } catch (e) {
      if ((e as { code?: string }).code !== "ENOTDIR") throw e;
      throw new SregistryError(
        `Cannot write image metadata: /${rel}: ${
          (e as Error).message
        }: the image cannot be converted`,
        { cause: e },
      );
    }
    for (const created of before) touch(created);
  };
  const parentOf = async (path: string) => {
    const parts = path.split("/").filter((part) => part !== "" && part !== ".");
    const name = parts.pop();
    if (!name || name === "..") throw new TypeError(`Not a file path: ${path}`);
    const dir = resolve(parts.join("/"), true);
    await mkdirs(dir, 0o755);
    const base = textToByteString(name);
    return dir ? `${dir}/${base}` : base;
  };
  for (const entry of files) {
    if (entry.type === "dir") {
      let rel: ByteString;
      try {
        rel = resolve(entry.path, true);
      } catch (e) {
        if (!(e instanceof SregistryError)) throw e;
        rel = resolve(entry.path, false); // a looping link: replace it by the folder
      }
      const node = lookup(engine.root, rel);
      if (node && node.kind !== "dir") {
        await removeAt(engine, rel);
        touch(rel);
      }
      if (node?.kind !== "dir") await mkdirs(rel, entry.mode ?? 0o755);
    } else if (entry.type === "symlink") {
      const rel = await parentOf(entry.path);
      if (lookup(engine.root, rel)) continue;
      const target = textToByteString(entry.target ?? "");
      const node = { kind: "symlink" as const, mode: 0o777, uid: 0, gid: 0, mtime: now, target };
      await engine.put(rel, node);
      for (const t of engine.targets) await t.special(rel, node, { atime: now, mtime: now });
      touch(rel);
    } else {
      await writeFile(engine, entry, await parentOf(entry.path), touch);
    }
  }
}

async function writeFile(
  engine: LayerEngine,
  entry: ExtraFile,
  rel: ByteString,
  touch: (rel: ByteString) => void,
): Promise<void> {
  const now = engine.now;
  const existing = lookup(engine.root, rel);
  if (existing?.kind === "dir") {
    throw new SregistryError(
      `Cannot write image metadata: ${entry.path} is a folder in the image: the image cannot be converted`,
    );
  }
  const content = new TextEncoder().encode(entry.content ?? "");
  const mode = entry.mode ?? 0o644;
  const times = { atime: now, mtime: now };
  if (existing?.kind === "file") {
    Object.assign(existing, { mode, mtime: now, size: content.length });
    return await engine.writeBody(rel, existing, times, [content], true);
  }
  const node: FileNode = { kind: "file", mode, uid: 0, gid: 0, mtime: now, size: content.length };
  await engine.put(rel, node);
  await engine.writeBody(rel, node, times, [content]);
  touch(rel);
}

async function removeAt(engine: LayerEngine, rel: ByteString): Promise<void> {
  const parent = lookup(engine.root, dirOf(rel));
  if (parent?.kind === "dir") await engine.remove(parent, rel.slice(rel.lastIndexOf("/") + 1), rel);
}

function dirOf(rel: ByteString): ByteString {
  const slash = rel.lastIndexOf("/");
  return slash < 0 ? "" : rel.slice(0, slash);
}
