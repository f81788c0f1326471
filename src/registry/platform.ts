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

/**
 * Parses `linux/arm64/v8`, `linux/amd64`, or a bare architecture (`arm64`,
 * os `linux`). Architecture aliases (`x86_64`, `aarch64`) are normalised.
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
 * without a wanted variant the first entry of the os/arch wins.
 * @throws {SregistryError} Listing the platforms the image has when none matches.
 */
export function selectManifest(index: ImageIndex, want: Platform): Descriptor {
  const runnable = index.manifests.filter((d) => !isAttestation(d));
  const withPlatform = runnable.filter((d) => d.platform);
  const exact = withPlatform.filter((d) => platformMatches(d.platform!, want));
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
