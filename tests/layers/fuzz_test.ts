/**
 * A seeded, time-bounded fuzz of the layer extractor: valid layers with
 * random bytes changed in their headers, random truncations and random
 * garbage. The extractor may refuse a layer, but only with its documented
 * errors (LayerFormatError, or SregistryError for the destination), and it
 * never writes outside the root.
 */
import { rng } from "../_random.ts";
import { assert, assertEquals } from "../_assert.ts";
import { buildTar } from "../_tar.ts";
import { LAYER_CASES } from "../_layer_cases.ts";
import { SregistryError } from "../../src/errors.ts";
import { snapshotTree } from "../_tree.ts";
import { sandbox, unpackTars } from "./_unpack.ts";

function mutate(tar: Uint8Array, random: () => number): Uint8Array {
  const out = tar.slice();
  const kind = random();
  if (kind < 0.15) return out.slice(0, Math.floor(random() * out.length)); // truncate
  if (kind < 0.2) return out.map(() => Math.floor(random() * 256)); // garbage
  const headers: number[] = [];
  for (let off = 0; off + 512 <= out.length; off += 512) {
    if (out[off + 257] === 0x75 && out[off + 258] === 0x73) headers.push(off); // "us"tar
  }
  const edits = 1 + Math.floor(random() * 6);
  for (let i = 0; i < edits; i++) {
    const header = headers[Math.floor(random() * headers.length)] ?? 0;
    const field = Math.floor(random() * 512);
    const choice = random();
    out[header + field] = choice < 0.3
      ? 0x2f // '/'
      : choice < 0.5
      ? 0x2e // '.'
      : choice < 0.6
      ? 0
      : Math.floor(random() * 256);
  }
  return out;
}

Deno.test("RootfsWriter refuses mutated and truncated layers only with its documented errors, never escaping", async () => {
  const seed = Number(Deno.env.get("SREGISTRY_FUZZ_SEED") ?? 20261127);
  const random = rng(seed);
  const tars = LAYER_CASES.map((l) => buildTar(l.entries));
  const deadline = Date.now() + 4000;
  let runs = 0;
  let refused = 0;
  while (Date.now() < deadline && runs < 400) {
    runs++;
    await using box = await sandbox();
    const before = await snapshotTree(box.sentinel);
    const layers = tars.map((t) => (random() < 0.5 ? mutate(t, random) : t));
    try {
      await unpackTars(layers, box.root, { writers: random() < 0.5 ? 0 : 2 });
    } catch (e) {
      refused++;
      assert(
        e instanceof SregistryError,
        `seed ${seed} run ${runs}: undocumented error ${(e as Error)?.stack ?? e}`,
      );
    }
    assertEquals([...(await snapshotTree(box.sentinel)).entries()], [...before.entries()]);
    for await (const entry of Deno.readDir(box.dir)) {
      assert(
        ["root", "sentinel"].includes(entry.name),
        `seed ${seed}: ${entry.name} written beside the root`,
      );
    }
  }
  assert(runs >= 20, `only ${runs} runs`);
  assert(refused > 0, "no mutation was refused: the fuzzer is not reaching the parser");
});
