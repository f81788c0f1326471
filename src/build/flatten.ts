/**
 * Flattens image layers and the Singularity metadata into ONE tar stream with
 * the content `RootfsWriter` + `writeMetadata` would leave in a folder, so
 * `tar2sqfs` can build the squashfs without creating a single file.
 *
 * Pass 1 reads every layer's headers (bodies skipped; all layers at once,
 * each from its download as it arrives when the caller offers that) and
 * simulates the unpacking on an in-memory tree of path metadata
 * (`_flat_layers.ts`), then the metadata step (`_flat_metadata.ts`). One
 * layer, usually the largest, can instead be read once (`_flat_single.ts`):
 * its files go out as they are read, checked against the final tree at the
 * end. Pass 2 (`_flat_plan.ts`) emits directories, links and devices from
 * memory, then re-opens only the layers holding surviving file content not
 * yet written and streams those bodies, then the metadata files, then hard
 * links (after their targets).
 * @module
 */
import { feedTar } from "../layers/_source.ts";
import { TarReader } from "../layers/tar_reader.ts";
import { wrapError } from "../layers/_errors.ts";
import type { MetadataFile } from "./metadata.ts";
import { FlatLayers, scanLayer } from "./_flat_layers.ts";
import { checkEarly, type EarlyFiles, singlePass, UpperNames } from "./_flat_single.ts";
import { planOutput } from "./_flat_plan.ts";
import type { EntryHeader } from "../layers/_header.ts";
import { applyMetadata } from "./_flat_metadata.ts";
import type { DirNode, Inode } from "./_flat_tree.ts";
import { summaryWarnings } from "../layers/_summary.ts";
import { END_OF_ARCHIVE, fileHeader, PackBuffer } from "./_tar_pack.ts";

export { FlattenUnsupported } from "./_flat_layers.ts";
export { FlattenRestart } from "./_flat_single.ts";

/** Opens one layer as an uncompressed tar stream (called once or twice). */
export type LayerOpener = () => Promise<ReadableStream<Uint8Array>>;

/** One layer to flatten: an opener, or an opener with the layer's bytes as they download. */
export type FlatLayerInput = LayerOpener | DownloadingLayer;

/** A layer that may be downloading: its bytes can be read while they arrive. */
export interface DownloadingLayer {
  /** Opens the layer, verified, as an uncompressed tar stream. */
  open: LayerOpener;
  /**
   * The same uncompressed bytes while they download, so the headers are read
   * meanwhile; undefined when the layer is not being downloaded. They are
   * used only once `verified` resolves.
   */
  early?: Promise<ReadableStream<Uint8Array> | undefined>;
  /** Resolves when the layer is in place and verified; rejects with the download's failure. */
  verified?: Promise<void>;
}

/** Options of {@link flattenLayers}. */
export interface FlattenOptions {
  /** Keep owners and device nodes (else owners 0, devices skipped, folders owner-writable). */
  isRoot: boolean;
  /** Receives the same summary warnings `RootfsWriter` gives. */
  onWarning?: (message: string) => void;
  /** Uncompressed ceiling per layer in bytes; default 64 GiB. */
  maxLayerBytes?: number;
  /** Layer names for messages (digests); default `#1`, `#2`... */
  labels?: string[];
  /** Time (seconds) of what the metadata step creates or changes; default now. */
  now?: number;
  /**
   * The layer read in a single pass (usually the largest): its files are
   * written out as it is read (see `_flat_single.ts`). Default: none.
   */
  onePass?: number;
}

const DEFAULT_MAX = 64 * 2 ** 30;
const APPLIED: Promise<EntryHeader[]> = Promise.resolve([]);

/**
 * One tar stream equal in content to unpacking `layers` (base first) then
 * writing `extra` (`singularityMetadata()`). Errors come through the stream:
 * `LayerFormatError` for bad layers (as the extractor), `FlattenUnsupported`
 * (before any byte) when the image needs the folder path.
 *
 * @example
 * ```ts ignore
 * const tar = flattenLayers(layers.map((l) => async () => decompress(await open(l), l.mediaType)),
 *   singularityMetadata({ ... }), { isRoot: Deno.uid() === 0 });
 * await makeSquashfsFromTar({ tar, output: "root.sqfs", compression: "gzip", processors: 2 });
 * ```
 */
export function flattenLayers(
  layers: FlatLayerInput[],
  extra: MetadataFile[],
  options: FlattenOptions,
): ReadableStream<Uint8Array> {
  return ReadableStream.from(generate(layers, extra, options));
}

async function* generate(
  layers: FlatLayerInput[],
  extra: MetadataFile[],
  options: FlattenOptions,
): AsyncGenerator<Uint8Array> {
  const maxBytes = options.maxLayerBytes ?? DEFAULT_MAX;
  const label = (i: number) => options.labels?.[i] ?? `#${i + 1}`;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const inputs: DownloadingLayer[] = layers.map((l) => (typeof l === "function" ? { open: l } : l));
  const one = options.onePass;
  const scans = inputs.map((input, i) =>
    i === one ? Promise.resolve([]) : headersOf(input, label(i), maxBytes)
  );
  for (const scan of scans) scan.catch(() => {}); // reported in layer order below
  const flat = new FlatLayers(options.isRoot);
  const out = new PackBuffer();
  const early: EarlyFiles = new Map();
  const applyLayers = async (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const headers = await scans[i];
      scans[i] = APPLIED; // the headers can go once applied
      flat.apply(headers, i, label(i));
    }
  };
  if (one !== undefined) {
    // The layers below go into the tree while the single pass already writes.
    const lower = applyLayers(0, one);
    lower.catch(() => {}); // reported by the single pass
    const upper = new UpperNames();
    for (const file of extra) upper.add(file.path);
    for (const above of scans.slice(one + 1)) upper.addLayer(await above);
    const at = { flat, lower, layer: one, label: label(one), maxBytes };
    yield* readOnce(inputs[one], (tar) => singlePass(tar, at, upper, out, early));
  }
  await applyLayers(one === undefined ? 0 : one + 1, layers.length);
  flat.endLayers();
  summary(flat, options);
  applyMetadata(flat.tree, extra, now);
  const alreadyOut = one === undefined ? new Map() : checkEarly(flat.tree, early, one);
  const plan = planOutput(flat.tree, options.isRoot, now, layers.length, alreadyOut);
  for (const h of plan.headers) {
    out.header(h);
    yield* out.take();
  }
  for (const [i, wanted] of plan.bodies.entries()) {
    if (wanted.size > 0) {
      yield* layerBodies(await inputs[i].open(), wanted, label(i), maxBytes, out);
    }
  }
  for (const { inode, path } of plan.written) {
    out.header(fileHeader(path, inode));
    out.bytes(inode.content!);
    out.pad(inode.content!.length);
  }
  for (const h of plan.links) out.header(h);
  out.bytes(END_OF_ARCHIVE);
  yield* out.take(true);
}

/** Runs `read` on a layer's download when there is one (then waits for its verification), else on the layer. */
async function* readOnce(
  input: DownloadingLayer,
  read: (tar: ReadableStream<Uint8Array>) => AsyncIterable<Uint8Array> | Promise<void>,
): AsyncGenerator<Uint8Array> {
  const run = async function* (tar: ReadableStream<Uint8Array>) {
    const output = read(tar);
    if (output instanceof Promise) await output;
    else yield* output;
  };
  const early = await input.early;
  if (early === undefined) return yield* run(await input.open());
  try {
    yield* run(early);
    await input.verified;
  } catch (e) {
    await input.verified; // a failed download explains a bad layer better
    throw e;
  }
}

/** A layer's headers: read from its download when there is one, else from the layer. */
async function headersOf(
  input: DownloadingLayer,
  label: string,
  maxBytes: number,
): Promise<EntryHeader[]> {
  let headers: EntryHeader[] = [];
  const scan = async (tar: ReadableStream<Uint8Array>) => {
    headers = await scanLayer(tar, label, maxBytes);
  };
  for await (const _ of readOnce(input, scan)) { /* no output */ }
  return headers;
}

/** Pass 2 of one layer: the bodies `wanted` (by entry index), under their final names. */
async function* layerBodies(
  tar: ReadableStream<Uint8Array>,
  wanted: Map<number, { inode: Inode; path: string }>,
  label: string,
  maxBytes: number,
  out: PackBuffer,
): AsyncGenerator<Uint8Array> {
  const where = { entry: undefined as string | undefined, layer: label, inEntry: false };
  const changed = () => new Error(`entry ${index - 1} changed between the two reads of the layer`);
  let index = 0;
  let left = wanted.size;
  let current: { inode: Inode; path: string } | undefined;
  let size = 0;
  const parser = new TarReader({
    header: (h) => {
      current = wanted.get(index++);
      if (current === undefined) return;
      where.entry = h.name;
      size = 0;
      out.header(fileHeader(current.path, current.inode));
    },
    body: (chunk) => {
      if (current === undefined) return;
      size += chunk.length;
      if (size > current.inode.size) throw changed();
      out.bytes(chunk);
    },
    end: () => {
      if (current === undefined) return;
      if (size !== current.inode.size) throw changed();
      out.pad(size);
      current = undefined;
      left--;
    },
  }, { maxHoleBytes: maxBytes });
  try {
    for await (const _ of feedTar(tar, parser, { maxBytes })) {
      yield* out.take();
      if (left === 0) break;
    }
  } catch (e) {
    throw wrapError(e, { ...where, maxBytes });
  }
  if (left > 0) {
    throw wrapError(new Error("the layer changed between reads"), { ...where, maxBytes });
  }
}

function summary(flat: FlatLayers, options: FlattenOptions): void {
  let relaxed = 0;
  const walk = (dir: DirNode) => {
    if (!options.isRoot && dir.explicit && (dir.mode & 0o700) !== 0o700) relaxed++;
    for (const child of dir.children.values()) if (child.type === "dir") walk(child);
  };
  walk(flat.tree.root);
  for (const line of summaryWarnings(flat.totals, relaxed)) options.onWarning?.(line);
}
