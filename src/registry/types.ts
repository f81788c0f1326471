/**
 * Types of the registry client's options and results.
 * @module
 */
import type { Reference } from "../reference.ts";
import type { CredentialLookup } from "./auth.ts";
import type { RateLimit } from "./_headers.ts";
import type { ImageIndex, ImageManifest } from "../image/manifest.ts";
import type { Platform } from "../image/platform.ts";
import type { Fetcher } from "./transport.ts";

/** Something the client reports; the library never prints. */
export interface ClientEvent {
  kind: "retry" | "ratelimit" | "resume" | "mirror" | "mirror-failed" | "progress";
  message: string;
}

/** Options of {@linkcode RegistryClient}. */
export interface ClientOptions {
  /** The HTTP function (default: global fetch). */
  fetch?: Fetcher;
  credentials?: CredentialLookup;
  /**
   * The host[:port] serving a reference domain (default `registryEndpoint`:
   * registry-1.docker.io for docker.io, the domain itself otherwise).
   */
  endpoint?: (domain: string) => string;
  /** True for registry domains reached over plain http (`--no-https`). */
  plainHttp?: (domain: string) => boolean;
  userAgent?: string;
  /** Retries of temporary failures (default 5). */
  retries?: number;
  /** Abort and resume a blob body stalled this long (default 60 s). */
  stallTimeoutMs?: number;
  /**
   * Bound on connecting plus the response headers, and on the whole body of a
   * small document (manifest, tag page, token, error) (default
   * `stallTimeoutMs`, else 60 s). See `deadline.ts`.
   */
  timeoutMs?: number;
  onEvent?: (e: ClientEvent) => void;
  /** Injectable sleep (tests). */
  sleep?: (ms: number) => Promise<void>;
}

/** What `resolve()` returns. */
export interface ResolvedImage {
  ref: Reference;
  /** What the reference resolved to (the index's digest for multi-arch images). */
  digest: string;
  mediaType: string;
  bytes: Uint8Array;
  index?: ImageIndex;
  manifestDigest: string;
  manifestBytes: Uint8Array;
  manifest: ImageManifest;
  platform?: Platform;
}

/** A fetched manifest. */
export interface FetchedManifest {
  digest: string;
  mediaType: string;
  bytes: Uint8Array;
  parsed: ImageIndex | ImageManifest;
  rateLimit?: RateLimit;
}
