/**
 * A seeded pseudo-random generator (xorshift32) for the fuzz tests: a failing
 * seed reproduces (`SREGISTRY_FUZZ_SEED`).
 * @module
 */

/** Numbers in [0, 1) from `seed`. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}
