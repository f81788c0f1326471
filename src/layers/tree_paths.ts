/**
 * Paths inside the in-memory image tree (`image_tree.ts`): lookup, and
 * resolution as if chrooted at the tree's root, the rules of
 * `paths.ts` `resolveRelative` applied to nodes instead of the disk.
 * Symbolic links in parent components (and in the final one with
 * `followFinal`) are followed, absolute targets restart from the root, `..`
 * never climbs above it, missing components are taken literally. Paths are
 * byte strings (`../byte_string.ts`), `/`-separated, relative to the root.
 * @module
 */
import { type ByteString, displayName } from "../byte_string.ts";
import type { DirNode, ImageNode } from "./image_tree.ts";
import { MAX_SYMLINKS } from "./paths.ts";

/** Result of {@link resolveInTree}. */
export interface TreeResolved {
  /** The resolved path relative to the root ("" is the root). */
  rel: ByteString;
  /** True when every component existed. */
  complete: boolean;
  /** The folder at `rel` when it exists. */
  dir?: DirNode;
}

/** A folder with no children and the given attributes. */
export function newDir(mode: number, uid: number, gid: number, mtime: number): DirNode {
  return { kind: "dir", children: new Map(), mode, uid, gid, mtime };
}

/** The node at resolved path `rel`, the final component not followed (lstat); undefined when missing. */
export function lookup(root: DirNode, rel: ByteString): ImageNode | undefined {
  if (rel === "") return root;
  let node: ImageNode = root;
  let at = 0;
  while (true) {
    if (node.kind !== "dir") return undefined;
    const slash = rel.indexOf("/", at);
    const next: ImageNode | undefined = node.children.get(
      slash < 0 ? rel.slice(at) : rel.slice(at, slash),
    );
    if (next === undefined || slash < 0) return next;
    node = next;
    at = slash + 1;
  }
}

function components(path: ByteString): ByteString[] {
  return path.split("/").filter((c) => c !== "" && c !== ".");
}

/**
 * Resolves `path` inside the tree rooted at `root` (see the module doc).
 * @throws {Deno.errors.FilesystemLoop} after {@link MAX_SYMLINKS} links
 */
export function resolveInTree(root: DirNode, path: ByteString, followFinal: boolean): TreeResolved {
  const pending = components(path).reverse();
  const done: ByteString[] = [];
  // The folder of each prefix of `done` while it exists (undefined below a non-folder).
  const dirs: (DirNode | undefined)[] = [root];
  let links = 0;
  let complete = true;
  while (pending.length > 0) {
    const comp = pending.pop()!;
    if (comp === "..") {
      if (done.length > 0) {
        done.pop();
        dirs.pop();
      }
      continue;
    }
    if (!complete || (pending.length === 0 && !followFinal)) {
      done.push(comp);
      continue;
    }
    const node: ImageNode | undefined = dirs[dirs.length - 1]?.children.get(comp);
    if (node === undefined) {
      complete = false;
      done.push(comp);
      continue;
    }
    if (node.kind !== "symlink") {
      done.push(comp);
      dirs.push(node.kind === "dir" ? node : undefined);
      continue;
    }
    if (++links > MAX_SYMLINKS) {
      throw new Deno.errors.FilesystemLoop(
        `too many levels of symbolic links in "${displayName(path)}"`,
      );
    }
    if (node.target.startsWith("/")) {
      done.length = 0;
      dirs.length = 1;
    }
    pending.push(...components(node.target).reverse());
  }
  const dir = complete ? dirs[done.length] : undefined;
  return { rel: done.join("/"), complete, dir };
}

/** An error carrying a file-system code, as the disk would raise it. */
export function treeError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}
