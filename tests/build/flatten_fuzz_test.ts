/**
 * A seeded, time-bounded fuzz of the flattener against the folder path:
 * random stacks of layers over a small set of names (files replaced within a
 * layer, folders, a folder symlink written through, hard links, whiteouts,
 * opaque folders), built both ways with a random layer read in one pass and
 * the layers below it arriving late or not. The trees must be equal, whether
 * the single pass kept its guesses or started again.
 */
import { rng } from "../_random.ts";
import { assert, assertEquals } from "../_assert.ts";
import type { TarEntry } from "../_tar.ts";
import { buildTar } from "../_tar.ts";
import { streamOf } from "../layers/_unpack.ts";
import { flattenLayers } from "../../src/build/flatten.ts";
import { LayerFormatError } from "../../src/layers/extract.ts";
import { compareBothWays, METADATA } from "./_flatten_compare.ts";

/** Flattens without building anything: the error, if the layers are refused. */
async function flattenError(layers: TarEntry[][], onePass: number): Promise<unknown> {
  const tars = layers.map((l) => buildTar(l));
  try {
    const stream = flattenLayers(tars.map((t) => () => Promise.resolve(streamOf(t))), METADATA, {
      isRoot: true,
      onePass,
    });
    for await (const _ of stream) { /* drained */ }
  } catch (e) {
    return e;
  }
  return undefined;
}

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

Deno.test("flattenLayers() with any layer read once equals the folder path on random layer stacks", async () => {
  const seed = Number(Deno.env.get("SREGISTRY_FUZZ_SEED") ?? 20261127);
  const random = rng(seed);
  const deadline = Date.now() + 5000;
  let runs = 0;
  let kept = 0;
  let refused = 0;
  while (Date.now() < deadline && runs < 40) {
    runs++;
    const count = 2 + Math.floor(random() * 3);
    const layers = Array.from({ length: count }, (_, i) => randomLayer(random, i === 0));
    const onePass = Math.floor(random() * count);
    const lowerDelayMs = random() < 0.5 ? 15 : 0;
    const dir = await Deno.makeTempDir({ prefix: "sregistry-flatten-fuzz-" });
    const what = `seed ${seed} run ${runs}: ${JSON.stringify({ layers, onePass, lowerDelayMs })}`;
    try {
      const r = await compareBothWays(dir, layers, random() < 0.5, { onePass, lowerDelayMs })
        .catch(async (e) => {
          // The folder path refused the layers: the flattener must refuse them as well.
          if (!(e instanceof LayerFormatError)) throw e;
          const flat = await flattenError(layers, onePass);
          assert(
            flat instanceof LayerFormatError,
            `${what}: the folder path refused (${e.message}), the flattener gave ${flat}`,
          );
          refused++;
          return undefined;
        });
      if (!r) continue;
      assertEquals(r.diff, [], what);
      assertEquals(r.flatWarnings, r.sandboxWarnings, what);
      if (!r.restarted) kept++;
    } finally {
      await new Deno.Command("chmod", { args: ["-R", "u+rwX", dir] }).output();
      await Deno.remove(dir, { recursive: true });
    }
  }
  assert(runs >= 5, `only ${runs} runs`);
  assert(kept > 0, "every single pass started again: the guesses are never exercised");
  assert(refused < runs, "every stack was refused: the generator makes no valid images");
});
