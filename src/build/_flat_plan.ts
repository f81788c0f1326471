/**
 * The output plan of the flattener: the final tree walked parents first,
 * sorted into what is emitted from memory (folders, links, devices), which
 * bodies each layer's second read must give and under which names, the
 * files the metadata step wrote, and hard links (after their targets).
 * @module
 */
import type { DirNode, FlatTree, Inode } from "./_flat_tree.ts";
import { fileHeader, type PackHeader } from "./_tar_pack.ts";

/** What to emit, in order. */
export interface Plan {
  /** Headers needing no body: root, folders, symlinks, devices (parents first). */
  headers: PackHeader[];
  /** Per layer: entry index -> the inode and the path to write its body under. */
  bodies: Map<number, { inode: Inode; path: string }>[];
  /** Files whose content the metadata step wrote. */
  written: { inode: Inode; path: string }[];
  /** Extra names of inodes: hard links to their first path. */
  links: PackHeader[];
}

/** Walks the final tree, parents before children, and sorts what to emit where. */
export function planOutput(
  tree: FlatTree,
  isRoot: boolean,
  now: number,
  layers: number,
  /** Files the single pass already wrote, and their paths (taken over and added to). */
  alreadyOut: Map<Inode, string>,
): Plan {
  const plan: Plan = {
    headers: [],
    bodies: Array.from({ length: layers }, () => new Map()),
    written: [],
    links: [],
  };
  // Files written by the single pass are there already, under their path.
  const first = alreadyOut;
  const dirHeader = (name: string, d: DirNode): PackHeader => ({
    name,
    type: "dir",
    mode: isRoot ? d.mode : d.mode | 0o700,
    uid: d.uid,
    gid: d.gid,
    mtime: Math.floor(d.mtime ?? now),
  });
  plan.headers.push(dirHeader("./", tree.root));
  const walk = (dir: DirNode, prefix: string) => {
    for (const [name, node] of dir.children) {
      const path = prefix + name;
      if (node.type === "dir") {
        plan.headers.push(dirHeader(path, node));
        walk(node, `${path}/`);
      } else if (node.type === "symlink") {
        const { uid, gid, target } = node;
        const mtime = Math.floor(node.mtime);
        plan.headers.push({
          name: path,
          type: "symlink",
          mode: 0o777,
          uid,
          gid,
          mtime,
          linkname: target,
        });
      } else if (node.type === "file") {
        const seen = first.get(node.inode);
        if (seen === path) continue;
        if (seen !== undefined) {
          plan.links.push({
            ...fileHeader(path, node.inode),
            type: "link",
            size: 0,
            linkname: seen,
          });
          continue;
        }
        first.set(node.inode, path);
        if (node.inode.origin) {
          plan.bodies[node.inode.origin.layer].set(node.inode.origin.index, {
            inode: node.inode,
            path,
          });
        } else plan.written.push({ inode: node.inode, path });
      } else {
        const { type, mode, uid, gid } = node;
        const mtime = Math.floor(node.mtime);
        plan.headers.push({
          name: path,
          type,
          mode,
          uid,
          gid,
          mtime,
          devmajor: node.major,
          devminor: node.minor,
        });
      }
    }
  };
  walk(tree.root, "");
  return plan;
}
