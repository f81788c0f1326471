/**
 * Platforms (`os/arch[/variant]`, Go names) and picking the manifest for one
 * from an index, skipping attestation entries. Pure apart from
 * `hostPlatform()` reading `Deno.build`.
 * @module
 */
import { SregistryError } from "../errors.ts";
import { type Descriptor, type ImageIndex, isAttestation, type Platform } from "./manifest.ts";
import { hostAmd64Level, variantLevel } from "./cpu_level.ts";

export type { Platform };

const ARCH_ALIASES: Record<string, string> = {
  x86_64: "amd64",
  "x86-64": "amd64",
  aarch64: "arm64",
  armhf: "arm",
  armel: "arm",
  i386: "386",
  i686: "386",
};

/** Operating systems a bare `--platform` word may name (Go's `GOOS` values images use). */
const OS_NAMES = new Set(["linux", "windows", "darwin", "freebsd", "netbsd", "openbsd", "solaris"]);

/**
 * Parses `linux/arm64/v8`, `linux/amd64`, a bare architecture (`arm64`,
 * os `linux`), or a bare os (`linux`: this machine's architecture, as
 * containerd's `platforms.Parse` reads it). Architecture aliases (`x86_64`,
 * `aarch64`) are normalised.
 * @throws {SyntaxError} On an empty or over-long platform.
 * @example
 * ```ts
 * import { parsePlatform } from "./platform.ts";
 * const p = parsePlatform("linux/arm64/v8");
 * if (p.architecture !== "arm64" || p.variant !== "v8") throw new Error();
 * ```
 */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().toLowerCase().split("/");
  if (parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/.test(p))) {
    throw new SyntaxError(
      `Cannot parse platform ${JSON.stringify(s)}: write it as os/arch[/variant], e.g. linux/arm64`,
    );
  }
  if (parts.length === 1 && OS_NAMES.has(parts[0])) {
    const host = hostPlatform();
    return { ...host, os: parts[0] };
  }
  const [os, arch, variant] = parts.length === 1 ? ["linux", parts[0]] : parts;
  const architecture = ARCH_ALIASES[arch] ?? arch;
  const v = variant ?? (arch === "aarch64" ? "v8" : undefined);
  return v ? { os, architecture, variant: v } : { os, architecture };
}

/** `os/arch[/variant]`. */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

/** The platform of this machine: `linux/amd64`, `linux/arm64/v8`, ... */
export function hostPlatform(): Platform {
  const os = Deno.build.os === "darwin" ? "linux" : Deno.build.os;
  const architecture = ARCH_ALIASES[Deno.build.arch] ?? Deno.build.arch;
  return architecture === "arm64" ? { os, architecture, variant: "v8" } : { os, architecture };
}

/** The variant an entry without one means (`arm64` -> `v8`). */
function normalVariant(p: Platform): string | undefined {
  if (p.variant) return p.variant;
  if (p.architecture === "arm64") return "v8";
  return undefined;
}

/** True when an index entry's platform satisfies `want`. */
export function platformMatches(have: Platform, want: Platform): boolean {
  if (have.os !== want.os || have.architecture !== want.architecture) return false;
  const wantVariant = normalVariant(want);
  if (!wantVariant) return true;
  return normalVariant(have) === wantVariant;
}

/** How a pick may use this machine's CPU: its x86-64 level, when known. */
export interface MachineLevels {
  /** 1 to 4 (`hostAmd64Level()`); undefined: unknown or not an x86-64 machine. */
  amd64?: number;
}

/**
 * Picks the manifest for `want` from an index, as containerd's platform
 * matcher does. Attestation entries (`unknown/unknown`) are skipped.
 * - A wanted variant: the entry with that variant (`arm64` without one
 *   means `v8`, `amd64` without one `v1`), else the highest lower level
 *   (`amd64/v3` takes `v2`, `v1`; `arm/v7` takes `v6`, `v5`).
 * - `arm` without a variant: `v7` when listed (what containerd and Docker
 *   mean by `linux/arm`), else the first `arm` entry.
 * - `amd64` without a variant: the entry without a variant (or `v1`); else
 *   the highest `vN` the machine's CPU runs (`machine.amd64`), never a higher
 *   one; the lowest when the CPU's level is unknown (another architecture).
 * - Otherwise the first entry of the os/arch.
 * @param machine this machine's CPU (default: read `/proc/cpuinfo` when an
 *   amd64 choice needs it; Deno lets only `--allow-all` read that file, so
 *   under the documented permission flags the level is unknown and the
 *   lowest listed level is taken)
 * @throws {SregistryError} Listing the platforms the image has when none
 *   matches, or naming the CPU level when every amd64 entry needs more.
 */
export function selectManifest(
  index: ImageIndex,
  want: Platform,
  machine?: MachineLevels,
): Descriptor {
  const runnable = index.manifests.filter((d) => !isAttestation(d));
  const withPlatform = runnable.filter((d) => d.platform);
  const sameArch = withPlatform.filter((d) =>
    d.platform!.os === want.os && d.platform!.architecture === want.architecture
  );
  const picked = normalVariant(want)
    ? pickVariant(sameArch, want)
    : pickDefault(sameArch, want, machine);
  if (picked) return picked;
  // An index whose only runnable entry has no platform: take it.
  if (runnable.length === 1 && withPlatform.length === 0) return runnable[0];
  const available = withPlatform.map((d) => formatPlatform(d.platform!));
  throw new SregistryError(
    `Cannot find a manifest for platform ${formatPlatform(want)}: the image has ${
      available.length ? available.join(", ") : "no platforms listed"
    }: choose one with --platform`,
  );
}

/** The level of an entry's variant (`cpu_level.ts`). */
const levelOf = (d: Descriptor) => variantLevel(d.platform!.architecture, d.platform!.variant);

/** The entry with the highest level among those at most `max` (first of ties). */
function highestUpTo(entries: Descriptor[], max: number): Descriptor | undefined {
  let best: Descriptor | undefined;
  for (const d of entries) {
    const l = levelOf(d);
    if (l !== undefined && l <= max && (best === undefined || l > levelOf(best)!)) best = d;
  }
  return best;
}

/** A wanted variant: exact, else the highest lower level. */
function pickVariant(entries: Descriptor[], want: Platform): Descriptor | undefined {
  const exact = entries.find((d) => platformMatches(d.platform!, want));
  if (exact) return exact;
  const max = variantLevel(want.architecture, normalVariant(want));
  return max === undefined ? undefined : highestUpTo(entries, max);
}

/** No wanted variant: see {@linkcode selectManifest}. */
function pickDefault(
  entries: Descriptor[],
  want: Platform,
  given: MachineLevels | undefined,
): Descriptor | undefined {
  if (want.architecture === "arm") {
    return entries.find((d) => d.platform!.variant === "v7") ?? entries[0];
  }
  if (want.architecture !== "amd64" || entries.length === 0) return entries[0];
  const baseline = entries.find((d) => levelOf(d) === 1);
  if (baseline) return baseline;
  const machine = given ?? { amd64: hostAmd64Level() };
  if (machine.amd64 === undefined) return lowest(entries);
  const runs = highestUpTo(entries, machine.amd64);
  if (runs) return runs;
  const listed = entries.map((d) => formatPlatform(d.platform!));
  throw new SregistryError(
    `Cannot find a manifest for platform ${
      formatPlatform(want)
    } that this machine's CPU runs: the image has ${
      listed.join(", ")
    } only, and this CPU runs up to x86-64-v${machine.amd64} (a higher level stops with "illegal instruction"): choose an image built for this CPU, or pull one for another machine with --platform ${
      listed[0]
    }`,
  );
}

/** The entry with the lowest known level, else the first. */
function lowest(entries: Descriptor[]): Descriptor {
  let best = entries[0];
  for (const d of entries) {
    const l = levelOf(d);
    if (l !== undefined && (levelOf(best) === undefined || l < levelOf(best)!)) best = d;
  }
  return best;
}

/**
 * A platform as a config declares it, normalised for comparison: lower
 * case, architecture aliases (`x86_64`, `aarch64`) mapped to Go names.
 * @returns undefined when os or architecture is empty
 */
export function normalizePlatform(p: Platform): Platform | undefined {
  if (!p.os || !p.architecture) return undefined;
  const arch = p.architecture.toLowerCase();
  const out = { os: p.os.toLowerCase(), architecture: ARCH_ALIASES[arch] ?? arch };
  return p.variant ? { ...out, variant: p.variant.toLowerCase() } : out;
}

/**
 * True when an image built for `have` is what `want` asks for: same os and
 * architecture, and the same variant (or a lower level, `cpu_level.ts`) when
 * both name one (`arm64` means `v8`).
 */
export function sameArchitecture(have: Platform, want: Platform): boolean {
  if (have.os !== want.os || have.architecture !== want.architecture) return false;
  const a = normalVariant(have);
  const b = normalVariant(want);
  if (a === undefined || b === undefined || a === b) return true;
  // A lower level runs where a higher one was asked (amd64 v2 for v3, arm v6 for v7).
  const la = variantLevel(have.architecture, a);
  const lb = variantLevel(want.architecture, b);
  return la !== undefined && lb !== undefined && la <= lb;
}

/** What to do about an image's platform: nothing, warn, or refuse. */
export type PlatformVerdict =
  | { kind: "ok" }
  | { kind: "warning"; text: string }
  | { kind: "error"; text: string };

/**
 * Compares the image's platform (from its config) with the one asked with
 * `--platform`, or else with this machine's.
 * @param what the image, for messages (`docker.io/library/busybox:1`)
 * @param have the image's platform; undefined when the config names none
 * @param asked the platform asked for, if any
 * @param host this machine's platform
 * @returns `error` when asked and different, `warning` when not asked and
 *   not this machine's, else `ok`
 */
export function checkImagePlatform(
  what: string,
  have: Platform | undefined,
  asked: Platform | undefined,
  host: Platform,
): PlatformVerdict {
  if (!have) return { kind: "ok" };
  const image = formatPlatform(have);
  if (asked) {
    if (sameArchitecture(have, asked)) return { kind: "ok" };
    return {
      kind: "error",
      text: `Cannot pull ${what} for ${
        formatPlatform(asked)
      }: the image is built for ${image} only: pull it with --platform ${image}, or choose an image built for ${
        formatPlatform(asked)
      }`,
    };
  }
  if (sameArchitecture(have, host)) return { kind: "ok" };
  return {
    kind: "warning",
    text: `${what} is built for ${image}, not for this machine (${
      formatPlatform(host)
    }): it runs here only under emulation; pull it with --platform ${image} to say that is intended`,
  };
}
