/**
 * Structured mutations of JSON documents for the seeded fuzz tests: type
 * swaps, nulls, deletions, huge and odd numbers, deep nesting, wrong digests,
 * long arrays, and byte-level damage (truncation, stray characters).
 * @module
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const ODD_NUMBERS = [-1, 1.5, 2 ** 53, 1e308, -0, 0, 4294967296, -1e308];
const ODD_DIGESTS = [
  "sha256:xyz",
  "sha256:" + "A".repeat(64),
  "md5:d41d8cd98f00b204e9800998ecf8427e",
  "sha256:" + "a".repeat(63),
  "",
  "sha256:../../etc/passwd",
];

function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)];
}

function randomValue(r: () => number, depth = 0): Json {
  const k = Math.floor(r() * (depth > 2 ? 5 : 7));
  switch (k) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return pick(r, ODD_NUMBERS);
    case 3:
      return pick(r, ["", "x", "../../x", "\u0000", "é", ...ODD_DIGESTS]);
    case 4:
      return pick(r, [{}, [], "null"]) as Json;
    case 5:
      return [randomValue(r, depth + 1)];
    default:
      return { k: randomValue(r, depth + 1) };
  }
}

/** Every container (object or array) in `doc` with its keys, root first. */
function containers(doc: Json): (Json[] | { [k: string]: Json })[] {
  const out: (Json[] | { [k: string]: Json })[] = [];
  const visit = (v: Json) => {
    if (v === null || typeof v !== "object") return;
    out.push(v);
    for (const child of Object.values(v)) visit(child);
  };
  visit(doc);
  return out;
}

function nest(value: Json, depth: number): Json {
  let v = value;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** Applies one structural mutation in place somewhere in `doc`; returns the (maybe new) root. */
function mutateOnce(doc: Json, r: () => number): Json {
  const all = containers(doc);
  if (all.length === 0 || r() < 0.04) return randomValue(r);
  const target = pick(r, all);
  const keys = Object.keys(target);
  const key = keys.length ? pick(r, keys) : "extra";
  const set = (v: Json) => {
    if (Array.isArray(target)) target[Number(key) || 0] = v;
    else target[key] = v;
  };
  const op = Math.floor(r() * 8);
  switch (op) {
    case 0: // type swap
      set(randomValue(r));
      break;
    case 1:
      set(null);
      break;
    case 2: // deletion
      if (Array.isArray(target)) target.splice(Number(key) || 0, 1);
      else delete target[key];
      break;
    case 3:
      set(pick(r, ODD_NUMBERS));
      break;
    case 4: // deep nesting
      set(nest(null, pick(r, [40, 70, 200, 5000])));
      break;
    case 5:
      set(pick(r, ODD_DIGESTS));
      break;
    case 6: // a long array
      set(Array.from({ length: pick(r, [100, 3000]) }, () => randomValue(r, 3)));
      break;
    default: // an unknown field (specs: must be ignored)
      if (!Array.isArray(target)) target[`x-${Math.floor(r() * 100)}`] = randomValue(r);
      else target.push(randomValue(r));
  }
  return doc;
}

/**
 * A mutated copy of the JSON text `text`: 1-3 structural mutations, and in
 * one case of eight some byte-level damage as well.
 */
export function mutateJson(text: string, r: () => number): string {
  let doc = JSON.parse(text) as Json;
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) doc = mutateOnce(doc, r);
  let out = JSON.stringify(doc);
  if (r() < 0.125) {
    const at = Math.floor(r() * (out.length + 1));
    out = r() < 0.5 ? out.slice(0, at) : out.slice(0, at) + pick(r, ["}", "]", '"', ",", "\\"]) +
      out.slice(at);
  }
  return out;
}

/** The seed of a fuzz run: `SREGISTRY_FUZZ_SEED` or `fallback`. */
export function fuzzSeed(fallback: number): number {
  const env = Deno.env.get("SREGISTRY_FUZZ_SEED");
  return env ? Number(env) : fallback;
}
