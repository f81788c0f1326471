/**
 * The metadata step of the flattener: `metadata_writer.ts` `writeMetadata`
 * applied to a {@link FlatTree} (links resolved as in a chroot, a link where
 * a file goes replaced, a file written over an existing one keeps its inode
 * and owner). Directories changed here get the time "now", as on disk.
 * @module
 */
import { SregistryError } from "../errors.ts";
import type { MetadataFile } from "./metadata.ts";
import { type DirNode, type FlatTree, newDir } from "./_flat_tree.ts";
import { FlattenUnsupported } from "./_flat_layers.ts";

const MAX_LINKS = 40;
const encoder = new TextEncoder();

class LoopError extends Error {}

function split(path: string): string[] {
  return path.split("/").filter((part) => part !== "" && part !== ".");
}

/** `metadata_writer.ts` `resolveInRoot` on the tree; returns a relative path. */
function resolveIn(tree: FlatTree, path: string, followLast: boolean): string {
  const current: string[] = [];
  let remaining = split(path);
  let links = 0;
  while (remaining.length > 0) {
    const part = remaining.shift()!;
    if (part === "..") {
      current.pop();
      continue;
    }
    const node = tree.lookup([...current, part].join("/"));
    if (node?.type === "symlink" && (remaining.length > 0 || followLast)) {
      if (++links > MAX_LINKS) throw new LoopError();
      if (node.target.startsWith("/")) current.length = 0;
      remaining = [...split(node.target), ...remaining];
      continue;
    }
    current.push(part);
  }
  return current.join("/");
}

function loopMessage(path: string): SregistryError {
  return new SregistryError(
    `Cannot write image metadata: too many symbolic links resolving ${path}: the image's filesystem is broken`,
  );
}

/** Applies `files` in order; `now` is the time given to whatever is created or changed. */
export function applyMetadata(tree: FlatTree, files: MetadataFile[], now: number): void {
  const touch = (rel: string) => {
    const { dir } = tree.parentOf(rel);
    if (dir) dir.mtime = undefined;
  };
  const mkdirs = (rel: string, mode: number): DirNode => {
    try {
      return tree.mkdirs(rel, (created) => {
        touch(created);
        return newDir(mode, 0, 0);
      });
    } catch (e) {
      throw new FlattenUnsupported(
        `Cannot flatten the layers: image metadata folder /${rel}: ${
          (e as Error).message
        }: unpack into a folder instead`,
        { cause: e },
      );
    }
  };
  const resolve = (path: string, followLast: boolean) => {
    try {
      return resolveIn(tree, path, followLast);
    } catch (e) {
      if (e instanceof LoopError) throw loopMessage(path);
      throw e;
    }
  };
  const parentOf = (path: string) => {
    const parts = split(path);
    const name = parts.pop();
    if (!name || name === "..") throw new TypeError(`Not a file path: ${path}`);
    const dir = resolve(parts.join("/"), true);
    mkdirs(dir, 0o755);
    return dir ? `${dir}/${name}` : name;
  };
  for (const entry of files) {
    if (entry.type === "dir") {
      let rel: string;
      try {
        rel = resolve(entry.path, true);
      } catch (e) {
        if (!(e instanceof SregistryError)) throw e;
        rel = resolve(entry.path, false);
      }
      const node = tree.lookup(rel);
      if (node && node.type !== "dir") {
        tree.remove(rel);
        touch(rel);
      }
      if (node?.type !== "dir") mkdirs(rel, entry.mode ?? 0o755);
    } else if (entry.type === "symlink") {
      const rel = parentOf(entry.path);
      if (tree.lookup(rel)) continue;
      tree.set(rel, { type: "symlink", target: entry.target ?? "", uid: 0, gid: 0, mtime: now });
      touch(rel);
    } else {
      writeFile(tree, entry, parentOf(entry.path), now, touch);
    }
  }
}

function writeFile(
  tree: FlatTree,
  entry: MetadataFile,
  rel: string,
  now: number,
  touch: (rel: string) => void,
): void {
  const node = tree.lookup(rel);
  if (node?.type === "dir") {
    throw new SregistryError(
      `Cannot write image metadata: ${entry.path} is a folder in the image: the image cannot be converted`,
    );
  }
  const content = encoder.encode(entry.content ?? "");
  const mode = entry.mode ?? 0o644;
  if (node?.type === "file") {
    Object.assign(node.inode, { content, origin: undefined, mode, mtime: now });
    node.inode.size = content.length;
    return;
  }
  if (node) tree.remove(rel);
  const inode = { mode, uid: 0, gid: 0, mtime: now, size: content.length, content };
  tree.set(rel, { type: "file", inode });
  touch(rel);
}
