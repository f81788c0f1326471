/** Seeded, bounded fuzzing of the parsers: random and mutated input, only documented errors. */
import { parseReference, ReferenceSyntaxError } from "../../src/reference.ts";
import { parseChallenges } from "../../src/registry/_challenge.ts";
import { ManifestError, parseManifest } from "../../src/image/manifest.ts";
import { assert } from "../_assert.ts";
import { buildImage, buildIndex } from "../_images.ts";

/** mulberry32: a small seeded PRNG. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = 'abcAB09:/@._-[]%" \\,=\u00e9\u0000';

function mutate(s: string, r: () => number): string {
  const chars = [...s];
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * (chars.length + 1));
    const c = ALPHABET[Math.floor(r() * ALPHABET.length)];
    const op = r();
    if (op < 0.33) chars.splice(at, 1);
    else if (op < 0.66) chars.splice(at, 0, c);
    else chars[at] = c;
  }
  return chars.join("");
}

const ITERATIONS = 3000;

Deno.test("parseReference() fuzz: valid result or ReferenceSyntaxError", () => {
  const r = rng(1);
  const seeds = ["ubuntu:22.04", "ghcr.io/o/r@sha256:" + "a".repeat(64), "localhost:5000/a/b:t"];
  for (let i = 0; i < ITERATIONS; i++) {
    const input = mutate(seeds[i % seeds.length], r);
    try {
      const ref = parseReference(input);
      assert(ref.path.length <= 255 && !ref.path.includes(".."), input);
      assert(/^[a-z0-9]/.test(ref.path), input);
    } catch (e) {
      assert(e instanceof ReferenceSyntaxError, `${JSON.stringify(input)}: ${e}`);
    }
  }
});

Deno.test("parseChallenges() fuzz: never throws", () => {
  const r = rng(2);
  const seed = 'Bearer realm="https://a/t",service="s",scope="repository:x:pull"';
  for (let i = 0; i < ITERATIONS; i++) {
    const out = parseChallenges(mutate(seed, r));
    assert(Array.isArray(out));
  }
});

Deno.test("parseManifest() fuzz: parsed result or ManifestError", async () => {
  const r = rng(3);
  const img = await buildImage({ layers: [{ entries: [] }] });
  const { index } = buildIndex([{ image: img, platform: { os: "linux", architecture: "amd64" } }], {
    attestations: true,
  });
  const seeds = [img.manifest, index].map((b) => [new TextDecoder().decode(b.bytes), b.mediaType]);
  const types = [null, "application/json", ...seeds.map((s) => s[1])];
  for (let i = 0; i < ITERATIONS; i++) {
    const [text] = seeds[i % seeds.length];
    const type = types[Math.floor(r() * types.length)];
    try {
      parseManifest(new TextEncoder().encode(mutate(text, r)), type);
    } catch (e) {
      assert(e instanceof ManifestError, String(e));
    }
  }
});
