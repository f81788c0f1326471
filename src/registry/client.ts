/**
 * The registry client: manifests, blobs and tags, over the connection of
 * `_connection.ts` (an injected `Fetcher` under retry, deadlines and an
 * authenticating session; redirects followed by hand, so `Authorization`
 * never reaches another host).
 * @module
 */
import { DigestMismatchError, RegistryError } from "../errors.ts";
import { type DigestVerifier, isDigest } from "../digest.ts";
import { formatReference, pullScope, type Reference } from "../reference.ts";
import { verifiedBlobStream } from "./_blob_stream.ts";
import { Connection } from "./_connection.ts";
import { responseError } from "./errors.ts";
import { getSmallDocument } from "./_small_document.ts";
import {
  type Descriptor,
  MANIFEST_ACCEPT,
  manifestDigest,
  MAX_MANIFEST_BYTES,
  parseManifest,
  sizeKnown,
} from "../image/manifest.ts";
import type { Platform } from "../image/platform.ts";
import { resolveImage } from "./resolve.ts";
import { defaultSleep } from "./transport.ts";
import { parseRateLimit, type RateLimit } from "./_headers.ts";
import { followTagPages } from "./tag_pages.ts";

export type { RateLimit } from "./_headers.ts";
export type { ClientEvent, ClientOptions, FetchedManifest, ResolvedImage } from "./types.ts";
import type { ClientOptions, FetchedManifest, ResolvedImage } from "./types.ts";

/** HEAD answers that a GET would not change: failed login, rate limit. */
const HEAD_FINAL = new Set([401, 429]);

/** See the module doc. */
export class RegistryClient {
  #opts: ClientOptions;
  #conn: Connection;
  /** The manifest a HEAD fell back to GETting, kept for the next GET of that URL. */
  #fetched?: { url: string; manifest: FetchedManifest };

  constructor(opts: ClientOptions = {}) {
    this.#opts = opts;
    this.#conn = new Connection(opts);
  }

  /**
   * A manifest's digest, media type and size, from a HEAD; undefined when
   * it does not exist (404 to the HEAD and to a GET).
   *
   * A HEAD refused by a registry or proxy (405, 501, 400, 403, a 404 that a
   * GET contradicts, or any other error answer except 401 and 429), or
   * answered without a valid `Docker-Content-Digest`, falls back to a GET:
   * the digest is then computed from the bytes received (`manifestDigest`),
   * and the manifest is kept for the next `getManifest` of the same
   * reference, so it is fetched once.
   * @throws {RegistryError} on 401 and 429, and when the GET fails
   */
  async headManifest(ref: Reference): Promise<
    { digest: string; mediaType: string; size: number; rateLimit?: RateLimit } | undefined
  > {
    const url = this.#conn.url(ref, `manifests/${ref.digest ?? ref.tag ?? "latest"}`);
    const action = `check ${formatReference(ref)}`;
    const res = await this.#conn.send(
      url,
      { method: "HEAD", headers: { accept: MANIFEST_ACCEPT } },
      {
        action,
        scope: pullScope(ref),
      },
    );
    if (!res.ok && HEAD_FINAL.has(res.status)) await this.#conn.check(res, action, "HEAD", url);
    await res.body?.cancel();
    const digest = (res.headers.get("docker-content-digest") ?? "").trim();
    if (!res.ok || !isDigest(digest)) {
      let manifest: FetchedManifest;
      try {
        manifest = await this.#fetchManifest(ref);
      } catch (e) {
        // Absent for a GET too: the caller's "not there" (a mirror moves on).
        if (e instanceof RegistryError && e.status === 404) return undefined;
        throw e;
      }
      this.#fetched = { url, manifest };
      const { rateLimit } = manifest;
      return {
        digest: manifest.digest,
        mediaType: manifest.mediaType,
        size: manifest.bytes.length,
        ...(rateLimit ? { rateLimit } : {}),
      };
    }
    const rateLimit = this.#rateLimit(res);
    return {
      digest,
      mediaType: (res.headers.get("content-type") ?? "").split(";")[0].trim(),
      size: Number(res.headers.get("content-length") ?? -1),
      ...(rateLimit ? { rateLimit } : {}),
    };
  }

  #rateLimit(res: Response): RateLimit | undefined {
    const r = parseRateLimit(res.headers);
    if (r && r.remaining < Math.max(5, r.limit / 10)) {
      const window = r.windowS ? ` per ${Math.round(r.windowS / 3600)} h` : "";
      this.#opts.onEvent?.({
        kind: "ratelimit",
        message: `${r.remaining} of ${r.limit} pulls left${window}; logging in raises the limit`,
      });
    }
    return r;
  }

  /**
   * GETs a manifest (one request, `Accept` listing every supported type)
   * and verifies it when asked by digest. Its digest is computed from the
   * bytes received, never taken from `Docker-Content-Digest`.
   * @param reference Tag or digest (default: `ref.digest ?? ref.tag`).
   * @throws {RegistryError} On error answers; {DigestMismatchError}; {ManifestError};
   *   {SregistryError} when a phase times out after the retries.
   */
  getManifest(ref: Reference, reference?: string): Promise<FetchedManifest> {
    return this.#fetchManifest(ref, reference);
  }

  /** `getManifest` without the mirrors of a subclass (HEAD falls back to it). */
  async #fetchManifest(ref: Reference, reference?: string): Promise<FetchedManifest> {
    const want = reference ?? ref.digest ?? ref.tag ?? "latest";
    const url = this.#conn.url(ref, `manifests/${want}`);
    const kept = this.#fetched;
    this.#fetched = undefined;
    if (kept?.url === url) return kept.manifest;
    const action = `get the manifest of ${formatReference(ref)}`;
    const { res, bytes } = await this.#getSmall(
      ref,
      url,
      action,
      MANIFEST_ACCEPT,
      "an image manifest",
    );
    const parsed = parseManifest(bytes, res.headers.get("content-type"), { origin: url });
    const digest = manifestDigest(bytes, parsed.mediaType);
    if (isDigest(want) && digest !== want) {
      throw new DigestMismatchError({
        expected: want,
        actual: digest,
        what: `manifest of ${formatReference(ref)}`,
      });
    }
    const rateLimit = this.#rateLimit(res);
    return {
      digest,
      mediaType: parsed.mediaType,
      bytes,
      parsed,
      ...(rateLimit ? { rateLimit } : {}),
    };
  }

  /** A small document whole, its body bounded and retried (`_small_document.ts`). */
  #getSmall(
    ref: Reference,
    url: string,
    action: string,
    accept: string,
    what: string,
  ): Promise<{ res: Response; bytes: Uint8Array }> {
    return getSmallDocument({
      get: () => this.#conn.get(ref, url, action, accept),
      url,
      action,
      what,
      limit: MAX_MANIFEST_BYTES,
      timeoutMs: this.#conn.timeoutMs,
      retries: this.#opts.retries ?? 5,
      sleep: this.#opts.sleep ?? defaultSleep,
      onRetry: (message) => this.#opts.onEvent?.({ kind: "retry", message }),
    });
  }

  /**
   * Resolves a reference to one image manifest, following an index to the
   * entry for `platform` (default: this machine's); see `resolve.ts`.
   */
  resolve(ref: Reference, opts: { platform?: Platform } = {}): Promise<ResolvedImage> {
    return resolveImage((r, reference) => this.getManifest(r, reference), ref, opts);
  }

  /**
   * GETs a blob (200, or 206 from `offset`). Foreign layers come from
   * `desc.urls` without credentials, then the registry.
   */
  async fetchBlob(
    ref: Reference,
    desc: Descriptor,
    opts: { offset?: number; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = {};
    if (opts.offset && opts.offset > 0) headers.range = `bytes=${opts.offset}-`;
    const init = { headers, signal: opts.signal };
    const action = `download ${desc.digest} of ${formatReference(ref)}`;
    let lastError: unknown;
    for (const u of desc.urls ?? []) {
      if (!/^https?:\/\//.test(u)) continue;
      try {
        const res = await this.#conn.send(u, init, { action, anonymous: true });
        if (res.ok) return res;
        lastError = await responseError(res, {
          action,
          method: "GET",
          url: u,
          timeoutMs: this.#conn.timeoutMs,
        });
      } catch (e) {
        lastError = e;
      }
    }
    const url = this.#conn.url(ref, `blobs/${desc.digest}`);
    try {
      const res = await this.#conn.send(url, init, { action, scope: pullScope(ref) });
      return await this.#conn.check(res, action, "GET", url);
    } catch (e) {
      throw lastError ?? e;
    }
  }

  /**
   * A stream of the blob's bytes, verified against `desc` (errors with
   * DigestMismatchError), resumed with Range after a cut or a stall. `small`
   * (a config) also bounds each attempt's whole body to the timeout. With
   * `resume` (a verifier fed with the bytes an earlier run kept), it starts
   * after those bytes and verifies the whole blob.
   */
  openBlob(
    ref: Reference,
    desc: Descriptor,
    opts: { onProgress?: (bytes: number) => void; small?: boolean; resume?: DigestVerifier } = {},
  ): ReadableStream<Uint8Array> {
    return verifiedBlobStream({
      open: (offset, signal) => this.fetchBlob(ref, desc, { offset, signal }),
      digest: desc.digest,
      size: sizeKnown(desc) ? desc.size : undefined,
      what: `blob ${desc.digest} of ${formatReference(ref)}`,
      stallTimeoutMs: this.#opts.stallTimeoutMs,
      ...(opts.small ? { totalTimeoutMs: this.#conn.timeoutMs } : {}),
      retries: this.#opts.retries,
      onProgress: opts.onProgress,
      resume: opts.resume,
      sleep: this.#opts.sleep,
      onResume: (i) =>
        this.#opts.onEvent?.({
          kind: "resume",
          message: `resuming ${desc.digest} at byte ${i.offset}: ${i.reason}`,
        }),
    });
  }

  /**
   * Lists every tag (sorted, unique), following `Link` pagination with the
   * bounds of `tag_pages.ts` (a looping next link fails, naming the registry).
   */
  listTags(ref: Reference, opts: { pageSize?: number } = {}): Promise<string[]> {
    const action = `list the tags of ${ref.domain}/${ref.path}`;
    return followTagPages({
      firstUrl: this.#conn.url(ref, "tags/list") + (opts.pageSize ? `?n=${opts.pageSize}` : ""),
      registry: this.#conn.host(ref.domain),
      action,
      getPage: async (url) => {
        const { res, bytes } = await this.#getSmall(
          ref,
          url,
          action,
          "application/json",
          "a tag list",
        );
        return { text: new TextDecoder().decode(bytes), link: res.headers.get("link") };
      },
      onProgress: (message) => this.#opts.onEvent?.({ kind: "progress", message }),
    });
  }
}
