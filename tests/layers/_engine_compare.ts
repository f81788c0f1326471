/**
 * Test helpers: the same layers applied by the layer engine with each
 * backend (the image tree, written out with `writeImageTree`, and the sandbox
 * folder), and by `umoci raw unpack`, as snapshots to compare.
 * @module
 */
import { buildTar, type TarEntry } from "../_tar.ts";
import { diffTrees, snapshotTree, type TreeEntry } from "../_tree.ts";
import { buildImage } from "../_images.ts";
import { umociUnpack, writeOciLayout } from "../_oci_layout.ts";
import { streamOf } from "../_streams.ts";
import { MemorySink, writeImageTree } from "./_image_tree.ts";
import { LayerEngine } from "../../src/layers/engine.ts";
import { ContentTarget } from "../../src/layers/target.ts";
import { RootfsWriter } from "../../src/layers/extract.ts";
import { applyExtraFiles, type ExtraFile } from "../../src/layers/extra_files.ts";

/** The time given to what no entry dates. */
export const NOW = 1_700_000_000;

/** The image backend's result: its tree written into `dir`, and what it counted. */
export async function imageWay(
  dir: string,
  layers: TarEntry[][],
  extra: ExtraFile[] = [],
): Promise<{ tree: Map<string, TreeEntry>; target: ContentTarget; engine: LayerEngine }> {
  const sink = new MemorySink();
  const target = new ContentTarget(sink);
  const engine = new LayerEngine([target], { now: NOW });
  for (const [i, entries] of layers.entries()) {
    await engine.applyLayer(streamOf(buildTar(entries), 4096), `layer${i}`);
  }
  await applyExtraFiles(engine, extra);
  await engine.finish();
  await Deno.mkdir(dir);
  writeImageTree(engine.root, dir, sink);
  return { tree: await snapshotTree(dir, { dirMtime: true }), target, engine };
}

/** The sandbox backend's tree in `dir` (as root), and its warnings. */
export async function diskWay(
  dir: string,
  layers: TarEntry[][],
  extra: ExtraFile[] = [],
  writers = 2,
): Promise<{ tree: Map<string, TreeEntry>; warnings: string[] }> {
  await Deno.mkdir(dir);
  const warnings: string[] = [];
  const writer = new RootfsWriter(dir, {
    isRoot: true,
    now: NOW,
    writers,
    onWarning: (m) => warnings.push(m),
  });
  for (const [i, entries] of layers.entries()) {
    await writer.applyLayer(streamOf(buildTar(entries), 4096), `layer${i}`);
  }
  await applyExtraFiles(writer.engine, extra);
  await writer.finish();
  return { tree: await snapshotTree(dir, { dirMtime: true }), warnings };
}

/** umoci's tree of the same layers, unpacked into `dir`. */
export async function umociWay(dir: string, layers: TarEntry[][]): Promise<Map<string, TreeEntry>> {
  const image = await buildImage({ layers: layers.map((entries) => ({ entries })) });
  await writeOciLayout(`${dir}.layout`, image);
  await umociUnpack(`${dir}.layout`, "latest", dir);
  return await snapshotTree(dir, { dirMtime: true });
}

/**
 * Differences from umoci that are not differences of the image: umoci gives
 * a folder changed by a later layer (or created implicitly) the time of the
 * change; we keep the time its tar entry gave, or `NOW`.
 */
export function umociDiff(umoci: Map<string, TreeEntry>, ours: Map<string, TreeEntry>): string[] {
  return diffTrees(umoci, ours).filter((line) => {
    const m = /^(.*): mtime (\d+) != (\d+)$/.exec(line);
    return !(m && umoci.get(m[1])?.type === "dir");
  });
}
