/**
 * Image trees for the squashfs writer and SIF tests: node builders, and
 * {@link writeTree}, which stores each file's content through a
 * {@link SquashfsWriter} (in chunks of varied sizes, awaiting `drain()` as
 * the layer engine does) and finishes the image.
 * @module
 */

import { createHash } from "node:crypto";
import type { DirNode, FileNode, ImageNode, NodeAttrs } from "../src/layers/image_tree.ts";
import {
  type OutputSink,
  SquashfsWriter,
  type SquashfsWriterOptions,
} from "../src/squashfs/mod.ts";
import { rng } from "./_random.ts";

/** Default attributes of a test node. */
export const ATTRS: NodeAttrs = { mode: 0o644, uid: 0, gid: 0, mtime: 1_700_000_000 };

/** A folder with `children` (name -> node). */
export function dir(
  children: Record<string, ImageNode> = {},
  attrs: Partial<NodeAttrs> = {},
): DirNode {
  return {
    kind: "dir",
    ...ATTRS,
    mode: 0o755,
    ...attrs,
    children: new Map(Object.entries(children)),
  };
}

/** Content the tests keep beside each file node. */
export const CONTENT = new WeakMap<FileNode, Uint8Array>();

/** A file holding `content`. */
export function file(content: Uint8Array | string, attrs: Partial<NodeAttrs> = {}): FileNode {
  const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
  const node: FileNode = { kind: "file", ...ATTRS, ...attrs, size: bytes.length };
  CONTENT.set(node, bytes);
  return node;
}

/** SHA-256 hex of a test file's content. */
export function sha256Of(node: FileNode): string {
  return createHash("sha256").update(CONTENT.get(node) ?? new Uint8Array()).digest("hex");
}

/** `size` bytes: "text" (compressible lines), "random", "zero", or "mixed" (text, zero and random thirds). */
export function bytes(
  size: number,
  kind: "text" | "random" | "zero" | "mixed",
  seed = 1,
): Uint8Array {
  const out = new Uint8Array(size);
  const next = rng(seed);
  if (kind === "random" || kind === "mixed") {
    for (let i = 0; i < size; i += 4) {
      const v = (next() * 2 ** 32) >>> 0;
      out[i] = v;
      out[i + 1] = v >>> 8;
      out[i + 2] = v >>> 16;
      out[i + 3] = v >>> 24;
    }
  }
  if (kind === "text" || kind === "mixed") {
    const end = kind === "mixed" ? Math.floor(size / 3) : size;
    const words = ["alpha ", "beta ", "gamma\n", "delta ", "squashfs ", "block ", "42 "];
    let at = 0;
    while (at < end) {
      const word = words[Math.floor(next() * words.length)];
      for (let i = 0; i < word.length && at < end; i++) out[at++] = word.charCodeAt(i);
    }
  }
  if (kind === "mixed") out.fill(0, Math.floor(size / 3), Math.floor((2 * size) / 3));
  return out;
}

/** Every distinct file node under `root`, in a stable order (sorted names, depth first). */
export function fileNodes(root: DirNode): FileNode[] {
  const seen = new Set<FileNode>();
  const visit = (node: DirNode) => {
    for (const name of [...node.children.keys()].sort()) {
      const child = node.children.get(name)!;
      if (child.kind === "dir") visit(child);
      else if (child.kind === "file") seen.add(child);
    }
  };
  visit(root);
  return [...seen];
}

/** Options of {@link writeTree}. */
export interface WriteTreeOptions extends Partial<SquashfsWriterOptions> {
  /** Seed of the chunk sizes; default 7. */
  seed?: number;
  /** Contents to store before the tree's own, never referenced (an upper layer replaced them). */
  orphans?: Uint8Array[];
  /** Like `orphans`, one stored after each of the tree's contents (the rest at the end). */
  interleavedOrphans?: Uint8Array[];
}

/**
 * Writes the squashfs of `root` to `path` (a new file) and returns its size.
 * File contents come from {@link CONTENT}; empty files are left without data.
 */
export async function writeTree(
  path: string,
  root: DirNode,
  options: WriteTreeOptions = {},
): Promise<number> {
  using out = await Deno.open(path, { read: true, write: true, create: true, truncate: true });
  return await writeTreeTo(out, 0, root, options);
}

/** Like {@link writeTree}, through an open file or sink at `offset`. */
export async function writeTreeTo(
  out: Deno.FsFile | OutputSink,
  offset: number,
  root: DirNode,
  options: WriteTreeOptions = {},
): Promise<number> {
  const writer = new SquashfsWriter(out, offset, {
    compression: "gzip",
    processors: 2,
    mkfsTime: 1_700_000_000,
    ...options,
  });
  try {
    const next = rng(options.seed ?? 7);
    const scratch = new Uint8Array(200_000);
    const store = async (content: Uint8Array) => {
      const sink = writer.beginFile();
      let at = 0;
      while (at < content.length) {
        const n = Math.min(content.length - at, 1 + Math.floor(next() * scratch.length));
        scratch.set(content.subarray(at, at + n));
        sink.write(scratch.subarray(0, n));
        scratch.fill(0xa5, 0, n); // the chunk is the writer's only during the call
        at += n;
        await writer.drain();
      }
      return sink.end();
    };
    for (const orphan of options.orphans ?? []) await store(orphan);
    const interleaved = [...options.interleavedOrphans ?? []];
    for (const node of fileNodes(root)) {
      const content = CONTENT.get(node)!;
      if (content.length > 0) node.data = await store(content);
      const orphan = interleaved.shift();
      if (orphan) await store(orphan);
    }
    for (const orphan of interleaved) await store(orphan);
    return await writer.finish(root);
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
