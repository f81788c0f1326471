/**
 * The registry client: manifests, blobs and tags over an injected `Fetcher`
 * composed as retry(user agent(fetch)) under an authenticating session.
 * Redirects are followed here (`redirect: "manual"`), so `Authorization`
 * never reaches another host.
 * @module
 */
import { DigestMismatchError, SregistryError } from "../errors.ts";
import { type DigestVerifier, isDigest } from "../digest.ts";
import { formatReference, pullScope, type Reference, registryEndpoint } from "../reference.ts";
import { AuthSession } from "./auth.ts";
import { verifiedBlobStream } from "./_blob_stream.ts";
import { networkError, readLimited, responseError } from "./errors.ts";
import {
  type Descriptor,
  MANIFEST_ACCEPT,
  manifestDigest,
  MAX_MANIFEST_BYTES,
  parseManifest,
  sizeKnown,
} from "./manifest.ts";
import { hostPlatform, type Platform, selectManifest } from "./platform.ts";
import { type Fetcher, withRetry, withUserAgent } from "./transport.ts";
import { nextLink, parseRateLimit, parseTagPage, type RateLimit } from "./_headers.ts";

export type { RateLimit } from "./_headers.ts";
export type { ClientEvent, ClientOptions, FetchedManifest, ResolvedImage } from "./types.ts";
import type { ClientOptions, FetchedManifest, ResolvedImage } from "./types.ts";

const MAX_REDIRECTS = 10;
const MAX_TAG_PAGES = 10_000;

/** See the module doc. */
export class RegistryClient {
  #opts: ClientOptions;
  #plain: Fetcher;
  #auth: AuthSession;

  constructor(opts: ClientOptions = {}) {
    this.#opts = opts;
    const base: Fetcher = opts.fetch ?? ((req) => fetch(req));
    this.#plain = withRetry(withUserAgent(base, opts.userAgent ?? "sregistry"), {
      retries: opts.retries,
      sleep: opts.sleep,
      onRetry: (i) =>
        opts.onEvent?.({
          kind: "retry",
          message: `retrying ${i.url} in ${Math.round(i.delayMs / 100) / 10} s (${
            i.status ?? "network error"
          }, attempt ${i.attempt})`,
        }),
    });
    this.#auth = new AuthSession(this.#plain, {
      credentials: opts.credentials,
      allowHttpRealm: (host) => opts.plainHttp?.(host) ?? false,
      credentialHost: (host) => (host === this.#host("docker.io") ? "docker.io" : host),
    });
  }

  /** The host serving a reference domain (`endpoint` option, else `registryEndpoint`). */
  #host(domain: string): string {
    return this.#opts.endpoint?.(domain) ?? registryEndpoint(domain);
  }

  #url(ref: Reference, path: string): string {
    const scheme = this.#opts.plainHttp?.(ref.domain) ? "http" : "https";
    return `${scheme}://${this.#host(ref.domain)}/v2/${ref.path}/${path}`;
  }

  /** Sends through auth (or not), following redirects itself. */
  async #send(
    url: string,
    init: RequestInit,
    ctx: { action: string; scope?: string; anonymous?: boolean },
  ): Promise<Response> {
    for (let hop = 0;; hop++) {
      const req = new Request(url, { ...init, redirect: "manual" });
      let res: Response;
      try {
        res = ctx.anonymous ? await this.#plain(req) : await this.#auth.fetch(req, ctx.scope);
      } catch (e) {
        if (e instanceof SregistryError || init.signal?.aborted) throw e;
        throw networkError(e, url, ctx.action);
      }
      const location = res.headers.get("location");
      if (res.status < 300 || res.status >= 400 || !location || hop >= MAX_REDIRECTS) return res;
      await res.body?.cancel();
      url = new URL(location, url).href;
    }
  }

  async #check(res: Response, action: string, method: string, url: string): Promise<Response> {
    if (res.ok) return res;
    const host = new URL(url).host;
    const loginHost = host === this.#host("docker.io") ? "docker.io" : host;
    throw await responseError(res, { action, method, url, loginHost });
  }

  /** GETs from the registry with auth, failing on error answers. */
  async #get(ref: Reference, url: string, action: string, accept: string): Promise<Response> {
    const res = await this.#send(url, { headers: { accept } }, { action, scope: pullScope(ref) });
    return await this.#check(res, action, "GET", url);
  }

  /** HEADs a manifest: its digest, type, size and rate-limit headers; undefined on 404. */
  async headManifest(ref: Reference): Promise<
    { digest: string; mediaType: string; size: number; rateLimit?: RateLimit } | undefined
  > {
    const url = this.#url(ref, `manifests/${ref.digest ?? ref.tag ?? "latest"}`);
    const action = `check ${formatReference(ref)}`;
    const res = await this.#send(url, { method: "HEAD", headers: { accept: MANIFEST_ACCEPT } }, {
      action,
      scope: pullScope(ref),
    });
    if (res.status === 404) return void await res.body?.cancel();
    await this.#check(res, action, "HEAD", url);
    await res.body?.cancel();
    const rateLimit = this.#rateLimit(res);
    return {
      digest: res.headers.get("docker-content-digest") ?? "",
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
   * and verifies it when asked by digest.
   * @param reference Tag or digest (default: `ref.digest ?? ref.tag`).
   * @throws {RegistryError} On error answers; {DigestMismatchError}; {ManifestError}.
   */
  async getManifest(ref: Reference, reference?: string): Promise<FetchedManifest> {
    const want = reference ?? ref.digest ?? ref.tag ?? "latest";
    const url = this.#url(ref, `manifests/${want}`);
    const action = `get the manifest of ${formatReference(ref)}`;
    const res = await this.#get(ref, url, action, MANIFEST_ACCEPT);
    const declared = Number(res.headers.get("content-length") ?? 0);
    if (declared > MAX_MANIFEST_BYTES) {
      await res.body?.cancel();
      throw new SregistryError(
        `Cannot ${action}: it is ${declared} bytes, more than ${MAX_MANIFEST_BYTES}: this is not an image manifest`,
      );
    }
    const bytes = await readLimited(res, MAX_MANIFEST_BYTES + 1);
    const parsed = parseManifest(bytes, res.headers.get("content-type"));
    const digest = manifestDigest(bytes, parsed.mediaType);
    if (isDigest(want) && digest !== want) {
      throw new DigestMismatchError(want, digest, `manifest of ${formatReference(ref)}`);
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

  /**
   * Resolves a reference to one image manifest, following an index to the
   * entry for `platform` (default: this machine's).
   */
  async resolve(ref: Reference, opts: { platform?: Platform } = {}): Promise<ResolvedImage> {
    const top = await this.getManifest(ref);
    const base = { ref, digest: top.digest, mediaType: top.mediaType, bytes: top.bytes };
    if (top.parsed.kind === "manifest") {
      return {
        ...base,
        manifestDigest: top.digest,
        manifestBytes: top.bytes,
        manifest: top.parsed,
        ...(opts.platform ? { platform: opts.platform } : {}),
      };
    }
    const platform = opts.platform ?? hostPlatform();
    const entry = selectManifest(top.parsed, platform);
    const child = await this.getManifest(ref, entry.digest);
    if (child.parsed.kind !== "manifest") {
      throw new SregistryError(
        `Cannot pull ${
          formatReference(ref)
        }: its index points to another index (${entry.digest}): nested indexes are not supported`,
      );
    }
    return {
      ...base,
      index: top.parsed,
      manifestDigest: child.digest,
      manifestBytes: child.bytes,
      manifest: child.parsed,
      platform: entry.platform ?? platform,
    };
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
        const res = await this.#send(u, init, { action, anonymous: true });
        if (res.ok) return res;
        lastError = await responseError(res, { action, method: "GET", url: u });
      } catch (e) {
        lastError = e;
      }
    }
    const url = this.#url(ref, `blobs/${desc.digest}`);
    try {
      const res = await this.#send(url, init, { action, scope: pullScope(ref) });
      return await this.#check(res, action, "GET", url);
    } catch (e) {
      throw lastError ?? e;
    }
  }

  /**
   * A stream of the blob's bytes, verified against `desc` (errors with
   * DigestMismatchError), resumed with Range after a cut or a stall. With
   * `resume` (a verifier fed with the bytes an earlier run kept), it starts
   * after those bytes and verifies the whole blob.
   */
  openBlob(
    ref: Reference,
    desc: Descriptor,
    opts: { onProgress?: (bytes: number) => void; resume?: DigestVerifier } = {},
  ): ReadableStream<Uint8Array> {
    return verifiedBlobStream({
      open: (offset, signal) => this.fetchBlob(ref, desc, { offset, signal }),
      digest: desc.digest,
      size: sizeKnown(desc) ? desc.size : undefined,
      what: `blob ${desc.digest} of ${formatReference(ref)}`,
      stallTimeoutMs: this.#opts.stallTimeoutMs,
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

  /** Lists every tag (sorted, unique), following `Link` pagination. */
  async listTags(ref: Reference, opts: { pageSize?: number } = {}): Promise<string[]> {
    let url: string | undefined = this.#url(ref, "tags/list") +
      (opts.pageSize ? `?n=${opts.pageSize}` : "");
    const action = `list the tags of ${ref.domain}/${ref.path}`;
    const tags: string[] = [];
    for (let page = 0; url && page < MAX_TAG_PAGES; page++) {
      const res = await this.#get(ref, url, action, "application/json");
      const text = new TextDecoder().decode(await readLimited(res, MAX_MANIFEST_BYTES));
      const pageTags = parseTagPage(text);
      if (!pageTags) {
        throw new SregistryError(`Cannot ${action}: the registry answered non-JSON: try again`);
      }
      tags.push(...pageTags);
      url = nextLink(res.headers.get("link"), url);
    }
    return [...new Set(tags)].sort();
  }
}
