/**
 * Test helpers: unpack a built image with RootfsWriter, and a sentinel
 * directory next to the root that must never change.
 * @module
 */
import type { BuiltImage } from "../_images.ts";
import { buildTar, type TarEntry } from "../_tar.ts";
import { streamOf } from "../_streams.ts";
import { decompress } from "../../src/layers/decompress.ts";
import { type ExtractOptions, type LayerStats, RootfsWriter } from "../../src/layers/extract.ts";

/** Unpacks every layer of `image` into `root`; returns per-layer stats and the warnings. */
export async function unpackImage(
  image: BuiltImage,
  root: string,
  options: ExtractOptions = {},
): Promise<{ stats: LayerStats[]; warnings: string[] }> {
  const warnings: string[] = [];
  const writer = new RootfsWriter(root, { ...options, onWarning: (m) => warnings.push(m) });
  const stats: LayerStats[] = [];
  for (const layer of image.layers) {
    stats.push(
      await writer.applyLayer(decompress(streamOf(layer.bytes), layer.mediaType), layer.digest),
    );
  }
  await writer.finish();
  return { stats, warnings };
}

/** Unpacks raw tar layers (already uncompressed) into `root`. */
export async function unpackTars(
  tars: (Uint8Array | TarEntry[])[],
  root: string,
  options: ExtractOptions = {},
): Promise<{ stats: LayerStats[]; warnings: string[] }> {
  const warnings: string[] = [];
  const writer = new RootfsWriter(root, { ...options, onWarning: (m) => warnings.push(m) });
  const stats: LayerStats[] = [];
  for (const [i, t] of tars.entries()) {
    const bytes = t instanceof Uint8Array ? t : buildTar(t);
    stats.push(await writer.applyLayer(streamOf(bytes), `layer${i}`));
  }
  await writer.finish();
  return { stats, warnings };
}

/** A temp dir holding `root/` (empty) and `sentinel/` (with a file and a subdir). */
export async function sandbox(): Promise<
  { dir: string; root: string; sentinel: string } & AsyncDisposable
> {
  const dir = await Deno.makeTempDir({ prefix: "sregistry-layers-" });
  const root = `${dir}/root`;
  const sentinel = `${dir}/sentinel`;
  await Deno.mkdir(root);
  await Deno.mkdir(`${sentinel}/sub`, { recursive: true });
  await Deno.writeTextFile(`${sentinel}/file`, "sentinel");
  return {
    dir,
    root,
    sentinel,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}
