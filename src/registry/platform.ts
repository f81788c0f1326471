/**
 * Platforms (`os/arch[/variant]`, Go names) and picking the manifest for one
 * from an index, skipping attestation entries. Pure apart from
 * `hostPlatform()` reading `Deno.build`.
 * @module
 */
import { SregistryError } from "../errors.ts";
import { type Descriptor, type ImageIndex, isAttestation } from "./manifest.ts";

/** A platform as written in indexes. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

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

/**
 * Picks the manifest for `want` from an index. Attestation entries
 * (`unknown/unknown`) are skipped; `arm64` matches with or without `v8`;
 * without a wanted variant, `arm` takes `v7` when the index has it (the
 * variant containerd and Docker mean by `linux/arm`; indexes often list
 * `v5` or `v6` first), else the first entry of the os/arch wins.
 * @throws {SregistryError} Listing the platforms the image has when none matches.
 */
export function selectManifest(index: ImageIndex, want: Platform): Descriptor {
  const runnable = index.manifests.filter((d) => !isAttestation(d));
  const withPlatform = runnable.filter((d) => d.platform);
  const exact = withPlatform.filter((d) => platformMatches(d.platform!, want));
  if (want.architecture === "arm" && !want.variant) {
    const v7 = exact.find((d) => d.platform!.variant === "v7");
    if (v7) return v7;
  }
  if (exact.length > 0) return exact[0];
  // An index whose only runnable entry has no platform: take it.
  if (runnable.length === 1 && withPlatform.length === 0) return runnable[0];
  const available = withPlatform.map((d) => formatPlatform(d.platform!));
  throw new SregistryError(
    `Cannot find a manifest for platform ${formatPlatform(want)}: the image has ${
      available.length ? available.join(", ") : "no platforms listed"
    }: choose one with --platform`,
  );
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
 * architecture, and the same variant when both name one (`arm64` means `v8`).
 */
export function sameArchitecture(have: Platform, want: Platform): boolean {
  if (have.os !== want.os || have.architecture !== want.architecture) return false;
  const a = normalVariant(have);
  const b = normalVariant(want);
  return a === undefined || b === undefined || a === b;
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
