/**
 * Test helpers: one image built into a squashfs both ways — RootfsWriter +
 * writeMetadata + mksquashfs, and flattenLayers + tar2sqfs — each unpacked
 * with unsquashfs, so the two trees can be compared with `diffTrees`.
 * @module
 */
import { buildTar, type TarEntry } from "../_tar.ts";
import { diffTrees, snapshotTree, type TreeEntry } from "../_tree.ts";
import { streamOf, unpackTars } from "../layers/_unpack.ts";
import { flattenLayers, FlattenRestart } from "../../src/build/flatten.ts";
import { singularityMetadata } from "../../src/build/metadata.ts";
import { writeMetadata } from "../../src/build/metadata_writer.ts";
import { makeSquashfs } from "../../src/build/squashfs.ts";
import { makeSquashfsFromTar } from "../../src/build/tar2sqfs.ts";

/** The metadata every comparison adds. */
export const METADATA = singularityMetadata({
  config: { Env: ["PATH=/usr/bin:/bin", "A=1"], Cmd: ["/bin/sh"] },
  from: "example:1",
  arch: "amd64",
  created: "2024-01-01T00:00:00Z",
  baseDigest: "sha256:0",
});

async function unsquash(image: string, dir: string): Promise<void> {
  const out = await new Deno.Command("unsquashfs", {
    args: ["-no-progress", "-d", dir, image],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

/** What both paths gave. */
export interface Compared {
  /** Differences other than times both set to "now" (at or after the start). */
  diff: string[];
  sandbox: Map<string, TreeEntry>;
  flat: Map<string, TreeEntry>;
  sandboxWarnings: string[];
  flatWarnings: string[];
  /** The single pass guessed wrong and the build ran again in two passes (as pulls do). */
  restarted: boolean;
}

/** Builds `layers` (base first) both ways in `dir` and compares the unpacked squashfs trees. */
export async function compareBothWays(
  dir: string,
  layers: TarEntry[][],
  isRoot: boolean,
  options: { onePass?: number; lowerDelayMs?: number } = {},
): Promise<Compared> {
  const start = Math.floor(Date.now() / 1000) - 1;
  const tars = layers.map(buildTar);
  const root = `${dir}/root`;
  await Deno.mkdir(root, { mode: 0o755 });
  await Deno.chmod(root, 0o755);
  const { warnings: sandboxWarnings } = await unpackTars(tars, root, { isRoot });
  writeMetadata(root, METADATA);
  await makeSquashfs({
    source: root,
    output: `${dir}/a.sqfs`,
    compression: "gzip",
    processors: 2,
    isRoot,
  });
  let flatWarnings: string[] = [];
  const build = (onePass?: number) => {
    flatWarnings = [];
    const late = (i: number) => onePass !== undefined && i < onePass && options.lowerDelayMs;
    const tar = flattenLayers(
      tars.map((t, i) => async () => {
        if (late(i)) await new Promise((r) => setTimeout(r, options.lowerDelayMs));
        return streamOf(t, 4096);
      }),
      METADATA,
      { isRoot, onWarning: (m) => flatWarnings.push(m), onePass },
    );
    return makeSquashfsFromTar({
      tar,
      output: `${dir}/b.sqfs`,
      compression: "gzip",
      processors: 2,
    });
  };
  let restarted = false;
  await build(options.onePass).catch((e) => {
    if (!(e instanceof FlattenRestart)) throw e;
    restarted = true;
    return build();
  });
  await unsquash(`${dir}/a.sqfs`, `${dir}/a`);
  await unsquash(`${dir}/b.sqfs`, `${dir}/b`);
  const sandbox = await snapshotTree(`${dir}/a`, { dirMtime: true });
  const flat = await snapshotTree(`${dir}/b`, { dirMtime: true });
  const rootA = await Deno.lstat(`${dir}/a`);
  const rootB = await Deno.lstat(`${dir}/b`);
  const rootDiff = rootA.mode !== rootB.mode || rootA.uid !== rootB.uid
    ? [`root: ${rootA.mode?.toString(8)} ${rootA.uid} != ${rootB.mode?.toString(8)} ${rootB.uid}`]
    : [];
  const both = (line: string) => {
    const m = /: mtime (\d+) != (\d+)$/.exec(line);
    return m !== null && Number(m[1]) >= start && Number(m[2]) >= start;
  };
  const diff = [...rootDiff, ...diffTrees(sandbox, flat).filter((l) => !both(l))];
  return { diff, sandbox, flat, sandboxWarnings, flatWarnings, restarted };
}
