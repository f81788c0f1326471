/**
 * Architecture variants as levels that can be compared: x86-64 micro-
 * architecture levels (`amd64` `v1`..`v4`, System V psABI), arm64 `v8`,
 * `v8.1`.. `v9.x`, arm `v5`..`v8`; and the x86-64 level this machine's CPU
 * supports, from the `flags` line of `/proc/cpuinfo`. An image built for a
 * higher level than the CPU has crashes with "illegal instruction".
 * @module
 */

/** CPU flags (as `/proc/cpuinfo` names them) each x86-64 level adds (psABI 3.1.1). */
const AMD64_LEVEL_FLAGS: readonly (readonly string[])[] = [
  ["cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3"], // v2
  ["avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"], // v3
  ["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"], // v4
];

/**
 * The variant of an index entry or platform as a number that orders
 * compatibility: amd64 `v1`..`v4` (none = 1), arm64 `v8` = 8, `v8.2` = 8.2,
 * `v9` = 9 (none = 8), arm `v5`..`v8` (none: unknown).
 * @returns undefined for other architectures and for variants not of that form
 */
export function variantLevel(architecture: string, variant?: string): number | undefined {
  const v = variant?.toLowerCase();
  if (architecture === "amd64") {
    if (!v) return 1;
    const m = /^v([1-4])$/.exec(v);
    return m ? Number(m[1]) : undefined;
  }
  if (architecture === "arm64") {
    if (!v) return 8;
    const m = /^v(8|9)(?:\.(\d))?$/.exec(v);
    return m ? Number(m[1]) + Number(m[2] ?? 0) / 10 : undefined;
  }
  if (architecture === "arm" && v) {
    const m = /^v([5-8])$/.exec(v);
    return m ? Number(m[1]) : undefined;
  }
  return undefined;
}

/**
 * The x86-64 level (1 to 4) a CPU with these flags runs: each level needs
 * all the flags of the levels below it.
 * @param flags the words of `/proc/cpuinfo`'s `flags` line
 */
export function amd64LevelOf(flags: Iterable<string>): number {
  const have = new Set(flags);
  let level = 1;
  for (const needed of AMD64_LEVEL_FLAGS) {
    if (!needed.every((f) => have.has(f))) break;
    level++;
  }
  return level;
}

let cached: { level: number | undefined } | undefined;

/**
 * The x86-64 level of this machine's CPU, read once from `/proc/cpuinfo`.
 * @returns undefined when this is not an x86-64 machine or the file cannot
 *   be read (not Linux): the level is then unknown
 */
export function hostAmd64Level(): number | undefined {
  if (cached) return cached.level;
  let level: number | undefined;
  if (Deno.build.arch === "x86_64") {
    try {
      const flags = /^flags\s*:(.*)$/m.exec(Deno.readTextFileSync("/proc/cpuinfo"));
      level = flags ? amd64LevelOf(flags[1].trim().split(/\s+/)) : undefined;
    } catch {
      level = undefined;
    }
  }
  cached = { level };
  return level;
}
