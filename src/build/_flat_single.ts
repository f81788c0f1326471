/**
 * The single pass of the flattener over one layer (the largest): its entries
 * are applied to the tree as they are read, and the bodies of regular files
 * that nothing above can touch by name are written out at once, so the
 * squashfs is compressed while that layer still downloads, and the layer is
 * inflated once instead of twice.
 *
 * Writing early is a guess made from names: an entry later in the same layer
 * may replace the file, or a symbolic link may send an upper layer's name
 * onto it. {@link checkEarly} compares what was written with the final tree;
 * a wrong guess throws {@link FlattenRestart} and the build is done again the
 * two-pass way.
 * @module
 */
import { cleanEntryName } from "../layers/paths.ts";
import { classify } from "../layers/whiteouts.ts";
import { feedTar } from "../layers/_source.ts";
import { TarReader } from "../layers/tar_reader.ts";
import { type EntryHeader, readHeader } from "../layers/_header.ts";
import { wrapError } from "../layers/_errors.ts";
import type { FlatLayers } from "./_flat_layers.ts";
import type { FlatTree, Inode } from "./_flat_tree.ts";
import { fileHeader, type PackBuffer } from "./_tar_pack.ts";

/** A guess of the single pass proved wrong: build again with two passes. */
export class FlattenRestart extends Error {
  constructor(path: string) {
    super(`"${path}" was written before a later entry changed it`);
    this.name = "FlattenRestart";
  }
}

/** Files written by the single pass: entry index to the path written. */
export type EarlyFiles = Map<number, string>;

/** The names that layers above the single-pass layer (and the metadata step) write or hide. */
export class UpperNames {
  /** Names replaced or deleted. */
  #exact = new Set<string>();
  /** Names whose whole subtree may go (non-folders, whiteouts, opaque folders). */
  #below = new Set<string>();

  /** Adds one upper layer's headers. */
  addLayer(headers: EntryHeader[]): void {
    for (const h of headers) {
      const name = cleanEntryName(h.name);
      if (!name) continue;
      const c = classify(name);
      if (c.kind === "opaque") this.#below.add(c.dir);
      else if (c.kind === "whiteout") this.add(c.target);
      else if (c.kind === "entry") {
        this.#exact.add(name);
        if (h.kind !== "directory") this.#below.add(name);
      }
    }
  }

  /** Adds a path (relative, or absolute as the metadata step names them) and all below it. */
  add(path: string): void {
    const name = path.replace(/^\/+/, "").replace(/\/+$/, "");
    this.#exact.add(name);
    this.#below.add(name);
  }

  /** True when `rel` or a folder above it is named by a layer above. */
  touches(rel: string): boolean {
    if (this.#exact.has(rel) || this.#below.has("")) return true;
    for (let i = rel.indexOf("/"); i > 0; i = rel.indexOf("/", i + 1)) {
      if (this.#below.has(rel.slice(0, i))) return true;
    }
    return false;
  }
}

/** Where the single pass works: the layer, and the tree the layers below go into. */
export interface SinglePassAt {
  /** The tree; the layers below are applied to it when `lower` resolves. */
  flat: FlatLayers;
  /** Resolves once every layer below is applied to `flat` (rejects with their failure). */
  lower: Promise<void>;
  layer: number;
  label: string;
  maxBytes: number;
}

/**
 * Reads layer `at.layer` once: applies every entry and writes the bodies of
 * files `upper` does not touch to `out`, recording them in `early` (by entry
 * index). Yields `out`'s completed chunks as it goes.
 *
 * It does not wait for the layers below: until they are applied, entries go
 * to a scratch tree (paths resolved without the layers below, a guess
 * `checkEarly` verifies) and are replayed onto the real tree once it is ready.
 */
export async function* singlePass(
  tar: ReadableStream<Uint8Array>,
  at: SinglePassAt,
  upper: UpperNames,
  out: PackBuffer,
  early: EarlyFiles,
): AsyncGenerator<Uint8Array> {
  const { layer, label, maxBytes } = at;
  const where = { entry: undefined as string | undefined, layer: label, inEntry: false };
  let lowerReady = false;
  let lowerFailure: { error: unknown } | undefined;
  at.lower.then(() => (lowerReady = true), (error) => (lowerFailure = { error }));
  await Promise.resolve(); // a `lower` already settled is seen now
  // Entries applied so far, while the scratch tree stands in for the real one.
  let replay: { h: EntryHeader; index: number }[] | undefined = lowerReady ? undefined : [];
  let tree = replay ? at.flat.emptyCopy() : at.flat;
  let guessing = true;
  const toRealTree = () => {
    at.flat.startLayer();
    for (const { h, index } of replay!) {
      where.entry = h.name;
      at.flat.entry(h, label, { layer, index });
    }
    replay = undefined;
    tree = at.flat;
  };
  let index = 0;
  let writing = false;
  let size = 0;
  tree.startLayer();
  const parser = new TarReader({
    header: (raw) => {
      where.entry = raw.name;
      where.inEntry = true;
      const h = readHeader(raw);
      replay?.push({ h, index });
      let placed: ReturnType<FlatLayers["entry"]>;
      try {
        placed = tree.entry(h, label, { layer, index: index++ });
      } catch (e) {
        if (!replay) throw e;
        guessing = false; // e.g. a hard link to a file below: the real tree will judge
      }
      where.inEntry = false;
      writing = guessing && placed !== undefined && !upper.touches(placed.rel);
      if (!writing) return;
      early.set(index - 1, placed!.rel);
      out.header(fileHeader(placed!.rel, placed!.inode));
      size = 0;
    },
    body: (chunk) => {
      if (!writing) return;
      size += chunk.length;
      out.bytes(chunk);
    },
    end: () => {
      if (writing) out.pad(size);
      writing = false;
    },
  }, { maxHoleBytes: maxBytes });
  try {
    for await (const _ of feedTar(tar, parser, { maxBytes })) {
      if (lowerFailure) throw lowerFailure.error;
      if (replay && lowerReady) toRealTree();
      yield* out.take();
    }
    if (replay) {
      await at.lower;
      toRealTree();
    }
  } catch (e) {
    throw lowerFailure ? lowerFailure.error : wrapError(e, { ...where, inEntry: true, maxBytes });
  }
}

/**
 * Checks that every early file is, in the final tree, still at its path: the
 * same entry of the single-pass layer, its content not rewritten by the
 * metadata step (which is the only way its attributes could change too).
 * @returns the inodes of the early files and their paths
 * @throws {FlattenRestart} when one is not
 */
export function checkEarly(tree: FlatTree, early: EarlyFiles, layer: number): Map<Inode, string> {
  const found = new Map<Inode, string>();
  for (const [index, path] of early) {
    const node = tree.lookup(path);
    const inode = node?.type === "file" ? node.inode : undefined;
    const same = inode?.origin?.layer === layer && inode.origin.index === index &&
      inode.content === undefined;
    if (!same) throw new FlattenRestart(path);
    found.set(inode!, path);
  }
  early.clear();
  return found;
}
