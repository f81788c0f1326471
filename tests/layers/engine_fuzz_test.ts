/**
 * A seeded, time-bounded fuzz of the layer engine: random stacks of layers
 * over a small set of names (files replaced within a layer, folders, a
 * folder symlink written through, hard links, whiteouts, opaque folders)
 * applied with the image backend, with the sandbox backend, and by umoci.
 * The three trees must be equal; a stack one refuses, the others refuse too.
 */
import { rng } from "../_random.ts";
import { assert, assertEquals } from "../_assert.ts";
import type { TarEntry } from "../_tar.ts";
import { diffTrees } from "../_tree.ts";
import { LayerFormatError } from "../../src/layers/extract.ts";
import { diskWay, imageWay, umociDiff, umociWay } from "./_engine_compare.ts";

const FILES = ["a", "b", "d/x", "d/y", "d/z/w", "e/x", "e/v"];

function randomLayer(random: () => number, top: boolean): TarEntry[] {
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  const entries: TarEntry[] = [];
  const files: string[] = [];
  const ops = 2 + Math.floor(random() * 7);
  for (let i = 0; i < ops; i++) {
    const r = random();
    if (r < 0.4) {
      const name = pick(FILES);
      const size = pick([0, 5, 700, 3000]);
      entries.push({ name, content: "z".repeat(size) + i, mode: pick([0o644, 0o755, 0o600]) });
      files.push(name);
    } else if (r < 0.5) {
      entries.push({
        name: pick(["d", "d/z", "e"]),
        type: "directory",
        mode: pick([0o755, 0o700]),
      });
    } else if (r < 0.6) {
      entries.push({ name: "e", type: "symlink", linkname: pick(["d", "/d", "./d"]) });
    } else if (r < 0.7 && files.length > 0) {
      entries.push({ name: pick(["h", "d/h"]), type: "link", linkname: pick(files) });
    } else if (r < 0.85 && !top) {
      entries.push({ name: pick([".wh.a", "d/.wh.x", "e/.wh.x", ".wh.d", ".wh.e", ".wh.h"]) });
    } else if (r < 0.95) {
      entries.push({ name: pick(["d/.wh..wh..opq", "e/.wh..wh..opq"]) });
    } else {
      entries.push({ name: "l", type: "symlink", linkname: "a" });
    }
  }
  return entries;
}

async function outcome<T>(run: () => Promise<T>): Promise<T | LayerFormatError> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof LayerFormatError) return e;
    throw e;
  }
}

Deno.test({
  name: "LayerEngine: image, sandbox and umoci agree on random layer stacks",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const seed = Number(Deno.env.get("SREGISTRY_FUZZ_SEED") ?? 20261127);
    const random = rng(seed);
    const deadline = Date.now() + 6000;
    let runs = 0;
    let refused = 0;
    while (Date.now() < deadline && runs < 40) {
      runs++;
      const count = 2 + Math.floor(random() * 3);
      const layers = Array.from({ length: count }, (_, i) => randomLayer(random, i === 0));
      const what = `seed ${seed} run ${runs}: ${JSON.stringify(layers)}`;
      const dir = await Deno.makeTempDir({ prefix: "sregistry-engine-fuzz-" });
      try {
        const image = await outcome(() => imageWay(`${dir}/image`, layers));
        const disk = await outcome(() =>
          diskWay(`${dir}/disk`, layers, [], random() < 0.5 ? 0 : 2)
        );
        if (image instanceof LayerFormatError || disk instanceof LayerFormatError) {
          assert(image instanceof LayerFormatError, `${what}: only the sandbox refused`);
          assert(disk instanceof LayerFormatError, `${what}: only the image refused`);
          refused++;
          continue;
        }
        assertEquals(diffTrees(image.tree, disk.tree), [], what);
        const umoci = await umociWay(`${dir}/umoci`, layers);
        assertEquals(umociDiff(umoci, image.tree), [], what);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }
    assert(runs >= 5, `only ${runs} runs`);
    assert(refused < runs, "every stack was refused: the generator makes no valid images");
  },
});
