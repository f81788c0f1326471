/**
 * The destination tree of the extractor: where an entry goes inside the root
 * (missing parents created as it goes, resolutions cached), removal of what an
 * entry replaces, and the directory modes and times owed until `finish()`.
 * Directories stay owner-writable (0700) while layers are written; their own
 * modes and times are applied last, deepest first.
 * @module
 */
import { join } from "node:path";
import { resolveRelative } from "./paths.ts";
import { lstatOrUndefined, removeAll, setTimes } from "./_fsops.ts";

/** What a directory should end up with. */
export interface DirMeta {
  mode: number;
  atime?: number;
  mtime?: number;
}

/** Where an entry goes: resolved relative path, absolute path, what is there now. */
export interface Place {
  rel: string;
  abs: string;
  existing?: Deno.FileInfo;
}

/** Placement, removal and directory bookkeeping inside one root. */
export class RootTree {
  /** The absolute root directory. */
  readonly root: string;
  /** Whether owners are applied. */
  readonly isRoot: boolean;
  #dirs = new Map<string, DirMeta>();
  #parents = new Map<string, string>();

  /** @param root an absolute, existing directory */
  constructor(root: string, isRoot: boolean) {
    this.root = root;
    this.isRoot = isRoot;
  }

  /** Where `name` (a checked entry name) goes, creating missing parent directories. */
  place(name: string): Place {
    const slash = name.lastIndexOf("/");
    const parent = this.#parent(slash < 0 ? "" : name.slice(0, slash));
    const base = name.slice(slash + 1);
    const rel = parent ? `${parent}/${base}` : base;
    const abs = join(this.root, rel);
    return { rel, abs, existing: lstatOrUndefined(abs) };
  }

  /** Removes `rel` (and everything below it) and forgets what was recorded about it. */
  remove(rel: string, info: Deno.FileInfo): void {
    removeAll(join(this.root, rel), info.isDirectory);
    this.#parents.clear();
    if (!info.isDirectory) return;
    for (const key of this.#dirs.keys()) {
      if (key === rel || key.startsWith(`${rel}/`)) this.#dirs.delete(key);
    }
  }

  /** Records the mode and times directory `rel` gets at `finish()`. */
  setDirectory(rel: string, meta: DirMeta): void {
    this.#dirs.set(rel, meta);
  }

  /**
   * Applies directory modes and times, deepest first. Without root, modes keep
   * the owner's rwx so the tree stays deletable.
   * @returns how many directories were kept owner-writable against their mode
   */
  applyDirectories(): number {
    const depth = (rel: string) => (rel === "" ? -1 : rel.split("/").length);
    const dirs = [...this.#dirs].sort(([a], [b]) => depth(b) - depth(a));
    let relaxed = 0;
    for (const [rel, meta] of dirs) {
      const abs = join(this.root, rel);
      if (!lstatOrUndefined(abs)?.isDirectory) continue;
      const mode = this.isRoot ? meta.mode : meta.mode | 0o700;
      if (mode !== meta.mode) relaxed++;
      Deno.chmodSync(abs, mode);
      if (meta.mtime !== undefined) setTimes(abs, meta.atime ?? meta.mtime, meta.mtime, false);
    }
    return relaxed;
  }

  /** Resolves the parent directory of `name` inside the root, creating missing ones. */
  #parent(parent: string): string {
    const cached = this.#parents.get(parent);
    if (cached !== undefined) return cached;
    const r = resolveRelative(this.root, parent, { followFinal: true });
    let rel = "";
    for (const comp of r.rel === "" ? [] : r.rel.split("/")) {
      rel = rel ? `${rel}/${comp}` : comp;
      const abs = join(this.root, rel);
      const info = lstatOrUndefined(abs);
      if (info?.isDirectory) continue;
      if (info) {
        throw Object.assign(new Error(`"${rel}" is not a directory`), { code: "ENOTDIR" });
      }
      Deno.mkdirSync(abs);
      Deno.chmodSync(abs, 0o700);
      if (this.isRoot) Deno.chownSync(abs, 0, 0);
      this.#dirs.set(rel, { mode: 0o755 });
    }
    this.#parents.set(parent, r.rel);
    return r.rel;
  }
}
