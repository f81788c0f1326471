/**
 * Whiteouts and opaque markers applied against lower layers only: paths the
 * current layer wrote (and the directories above them) survive a whiteout or
 * opaque marker of the same layer, whatever the order of the entries.
 * @module
 */
import { join } from "node:path";
import { resolveRelative } from "./paths.ts";
import { lstatOrUndefined } from "./_fsops.ts";

/** Tracks what the current layer wrote and removes what lower layers left. */
export class LowerLayers {
  #root: string;
  #remove: (rel: string, info: Deno.FileInfo) => void;
  #written = new Set<string>();
  #above = new Set<string>();

  /** @param remove deletes a path (relative to root) and everything below it */
  constructor(root: string, remove: (rel: string, info: Deno.FileInfo) => void) {
    this.#root = root;
    this.#remove = remove;
  }

  /** Forgets the previous layer's paths. */
  startLayer(): void {
    this.#written.clear();
    this.#above.clear();
  }

  /** Records that the current layer wrote `rel` (a resolved relative path). */
  written(rel: string): void {
    this.#written.add(rel);
    for (let i = rel.lastIndexOf("/"); i > 0; i = rel.lastIndexOf("/", i - 1)) {
      const dir = rel.slice(0, i);
      if (this.#above.has(dir)) break;
      this.#above.add(dir);
    }
    this.#above.add("");
  }

  /** `.wh.<name>`: hides the lower-layer entry `target` (a cleaned relative path). */
  whiteout(target: string): void {
    const slash = target.lastIndexOf("/");
    const parent = resolveRelative(this.#root, slash < 0 ? "" : target.slice(0, slash), {
      followFinal: true,
    });
    if (!parent.complete) return;
    const base = target.slice(slash + 1);
    this.#hide(parent.rel ? `${parent.rel}/${base}` : base);
  }

  /** `.wh..wh..opq`: hides every lower-layer entry below `dir`. */
  opaque(dir: string): void {
    const r = resolveRelative(this.#root, dir, { followFinal: true });
    if (!r.complete) return;
    const info = lstatOrUndefined(join(this.#root, r.rel));
    if (info?.isDirectory) this.#hideChildren(r.rel);
  }

  #hide(rel: string): void {
    const info = lstatOrUndefined(join(this.#root, rel));
    if (!info) return;
    if (this.#written.has(rel) || this.#above.has(rel)) {
      if (info.isDirectory) this.#hideChildren(rel);
      return;
    }
    this.#remove(rel, info);
  }

  #hideChildren(rel: string): void {
    const names = [...Deno.readDirSync(join(this.#root, rel))].map((e) => e.name);
    for (const name of names) this.#hide(rel ? `${rel}/${name}` : name);
  }
}
