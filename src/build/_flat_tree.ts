/**
 * The in-memory root filesystem the flattener simulates: path metadata only
 * (types, modes, owners, times, link targets, where each file's content comes
 * from), never content. Path resolution mirrors `src/layers/paths.ts`
 * `resolveRelative` on this tree instead of the disk.
 * @module
 */
import { MAX_SYMLINKS } from "../layers/paths.ts";

/** A regular file's inode, shared by its hard links. */
export interface Inode {
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size: number;
  /** Where the content is: entry `index` of layer `layer` (pass 2 streams it). */
  origin?: { layer: number; index: number };
  /** Content written by the metadata step (replaces `origin`). */
  content?: Uint8Array;
}

/** A directory; `mtime` undefined means "changed now" (implicit or touched by metadata). */
export interface DirNode {
  type: "dir";
  children: Map<string, FlatNode>;
  mode: number;
  uid: number;
  gid: number;
  mtime?: number;
  /** Declared by a tar entry of some layer (its mode counts for the read-only warning). */
  explicit: boolean;
  /** The layer generation that last wrote something below (see `_flat_layers.ts`). */
  above?: number;
  /** The layer generation that last wrote this node. */
  stamp?: number;
}

/** A file name pointing to an inode. */
export interface FileNode {
  type: "file";
  inode: Inode;
  /** The layer generation that last wrote this name. */
  stamp?: number;
}

/** A symbolic link, target as written. */
export interface SymlinkNode {
  type: "symlink";
  target: string;
  uid: number;
  gid: number;
  mtime: number;
  stamp?: number;
}

/** A device node or FIFO (kept only when root). */
export interface SpecialNode {
  type: "char" | "block" | "fifo";
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  major: number;
  minor: number;
  stamp?: number;
}

/** Anything in the tree. */
export type FlatNode = DirNode | FileNode | SymlinkNode | SpecialNode;

/** Result of {@link FlatTree.resolve}, as `paths.ts` `Resolved`. */
export interface FlatResolved {
  rel: string;
  complete: boolean;
  /** The folder at `rel` when it exists (saves walking the tree again). */
  dir?: DirNode;
}

/** A directory node with no children. */
export function newDir(mode: number, uid: number, gid: number, mtime?: number): DirNode {
  return {
    type: "dir",
    children: new Map(),
    mode,
    uid,
    gid,
    mtime,
    explicit: false,
    above: 0,
    stamp: 0,
  };
}

function splitRel(rel: string): string[] {
  return rel === "" ? [] : rel.split("/");
}

/** An error carrying a file-system code, as the disk would raise it. */
export function fsError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** The tree, rooted at a directory node. */
export class FlatTree {
  readonly root: DirNode;

  constructor(root: DirNode) {
    this.root = root;
  }

  /** The node at `rel` without following a final symlink (lstat); undefined when missing. */
  lookup(rel: string): FlatNode | undefined {
    let node: FlatNode = this.root;
    for (const comp of splitRel(rel)) {
      if (node.type !== "dir") return undefined;
      const next: FlatNode | undefined = node.children.get(comp);
      if (next === undefined) return undefined;
      node = next;
    }
    return node;
  }

  /** `resolveRelative` of `paths.ts` on this tree. */
  resolve(relPath: string, followFinal: boolean): FlatResolved {
    const pending = relPath.split("/").filter((c) => c !== "" && c !== ".").reverse();
    const done: string[] = [];
    // The node of each prefix of `done` while it exists (undefined below a non-folder).
    const nodes: (DirNode | undefined)[] = [this.root];
    let links = 0;
    let complete = true;
    while (pending.length > 0) {
      const comp = pending.pop()!;
      if (comp === "..") {
        if (done.length > 0) {
          done.pop();
          nodes.pop();
        }
        continue;
      }
      if (!complete || (pending.length === 0 && !followFinal)) {
        done.push(comp);
        continue;
      }
      const node: FlatNode | undefined = nodes[nodes.length - 1]?.children.get(comp);
      if (node === undefined) {
        complete = false;
        done.push(comp);
        continue;
      }
      if (node.type !== "symlink") {
        done.push(comp);
        nodes.push(node.type === "dir" ? node : undefined);
        continue;
      }
      if (++links > MAX_SYMLINKS) {
        throw new Deno.errors.FilesystemLoop(`too many levels of symbolic links in "${relPath}"`);
      }
      if (node.target.startsWith("/")) {
        done.length = 0;
        nodes.length = 1;
      }
      pending.push(...node.target.split("/").filter((c) => c !== "" && c !== ".").reverse());
    }
    const dir = complete ? nodes[done.length] : undefined;
    return { rel: done.join("/"), complete, dir };
  }

  /**
   * Walks the resolved relative path `rel`, creating missing directories with
   * `make()`; throws an ENOTDIR error when a component is not a directory.
   */
  mkdirs(rel: string, make: (rel: string) => DirNode): DirNode {
    let dir = this.root;
    let path = "";
    for (const comp of splitRel(rel)) {
      path = path ? `${path}/${comp}` : comp;
      const next = dir.children.get(comp);
      if (next === undefined) {
        const created = make(path);
        dir.children.set(comp, created);
        dir = created;
      } else if (next.type === "dir") {
        dir = next;
      } else {
        throw fsError("ENOTDIR", `"${path}" is not a directory`);
      }
    }
    return dir;
  }

  /** The directory holding `rel` (which must be resolved) and its base name. */
  parentOf(rel: string): { dir: DirNode | undefined; base: string } {
    const slash = rel.lastIndexOf("/");
    const node = slash < 0 ? this.root : this.lookup(rel.slice(0, slash));
    return { dir: node?.type === "dir" ? node : undefined, base: rel.slice(slash + 1) };
  }

  /** Removes `rel` (and everything below it). */
  remove(rel: string): void {
    const { dir, base } = this.parentOf(rel);
    dir?.children.delete(base);
  }

  /** Puts `node` at `rel`, whose parent must exist. */
  set(rel: string, node: FlatNode): void {
    const { dir, base } = this.parentOf(rel);
    if (!dir) throw fsError("ENOENT", `the parent of "${rel}" does not exist`);
    dir.children.set(base, node);
  }
}
