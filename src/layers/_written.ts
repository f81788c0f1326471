/**
 * Whiteouts and opaque markers act on lower layers only: what the current
 * layer wrote (and the folders above it) survives a whiteout or opaque
 * marker of the same layer, whatever the order of the entries (as umoci and
 * containerd apply them). The marks are kept per layer on the tree's folder
 * objects, so a hard link (one node under several names) is marked per name.
 * @module
 */
import type { ByteString } from "../byte_string.ts";
import type { DirNode } from "./image_tree.ts";

/** What the current layer wrote: names per folder, and the folders holding any of it. */
export class WrittenMarks {
  #names = new Map<DirNode, Set<ByteString>>();
  #above = new Set<DirNode>();

  /** Forgets the previous layer's marks. */
  startLayer(): void {
    this.#names.clear();
    this.#above.clear();
  }

  /**
   * Marks `base` in `parent` as written, and every folder on the way from
   * `root` down to `parent` (the resolved path `rel` of the entry) as holding it.
   */
  mark(root: DirNode, parent: DirNode, base: ByteString, rel: ByteString): void {
    let names = this.#names.get(parent);
    if (names === undefined) this.#names.set(parent, names = new Set());
    names.add(base);
    if (this.#above.has(parent)) return; // its folders are marked already
    this.#above.add(root);
    let dir = root;
    for (let at = 0, slash = rel.indexOf("/"); slash > 0; slash = rel.indexOf("/", at)) {
      const next = dir.children.get(rel.slice(at, slash));
      if (next?.kind !== "dir") return;
      dir = next;
      this.#above.add(dir);
      at = slash + 1;
    }
  }

  /** True when the current layer wrote `base` in `parent`, or something below it. */
  protects(parent: DirNode, base: ByteString): boolean {
    if (this.#names.get(parent)?.has(base)) return true;
    const node = parent.children.get(base);
    return node?.kind === "dir" && this.#above.has(node);
  }
}
