/**
 * An in-process registry as a `(Request) => Response` function, for what the
 * real registry cannot do: Bearer token auth on a second host, blobs
 * redirected to a CDN host, tag pagination, and injected faults (cut or
 * stalled bodies, 429/5xx, ignored Range, HTML/non-JSON errors).
 * @module
 */
import type { BuiltImage } from "./_images.ts";

/** One request the fake saw. */
export interface SeenRequest {
  method: string;
  url: string;
  host: string;
  authorization: string | null;
  range: string | null;
}

/** Options of {@linkcode FakeRegistry}. */
export interface FakeOptions {
  /** Require Bearer tokens from `https://auth.test/token`. */
  bearer?: boolean;
  /** Require Basic credentials (user:pass) on the registry itself. */
  basic?: { username: string; password: string };
  /** Token server: credentials it requires (else anonymous tokens). */
  tokenUser?: { username: string; password: string };
  /** Identity (refresh) token the token server accepts by OAuth2 POST. */
  identityToken?: string;
  /** Field the token server answers with (default both). */
  tokenField?: "token" | "access_token" | "both";
  /** `expires_in` the token server sends (default 300). */
  expiresIn?: number;
  /** Redirect blob GETs to `https://cdn.test/...`. */
  cdn?: boolean;
  /** Serve blobs ignoring `Range`. */
  ignoreRange?: boolean;
}

export const REGISTRY_HOST = "registry.test";
export const AUTH_HOST = "auth.test";
export const CDN_HOST = "cdn.test";

/** A body that sends the first `n` bytes, then fails like a cut connection. */
export function cutBody(bytes: Uint8Array, n: number): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream({
    pull(c) {
      if (!sent) {
        sent = true;
        return c.enqueue(bytes.slice(0, n));
      }
      c.error(new TypeError("error reading a body from connection: connection reset"));
    },
  });
}

/** A body that sends the first `n` bytes, then nothing, ever. */
export function stalledBody(bytes: Uint8Array, n: number): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream({
    pull(c) {
      if (!sent) {
        sent = true;
        return c.enqueue(bytes.slice(0, n));
      }
      return new Promise(() => {});
    },
  });
}

/** See the module doc. */
export class FakeRegistry {
  readonly seen: SeenRequest[] = [];
  /** Fault hook, asked first; return a Response to answer with it. */
  fault?: (req: Request, url: URL) => Response | undefined;
  /** Fake clock for token expiry (ms). */
  now = 0;
  #opts: FakeOptions;
  #manifests = new Map<string, { bytes: Uint8Array; mediaType: string; digest: string }>();
  #blobs = new Map<string, Uint8Array>();
  #tags = new Map<string, Set<string>>();
  #tokens = new Map<string, { scopes: string[]; expiresAt: number }>();
  #issued = 0;

  constructor(opts: FakeOptions = {}) {
    this.#opts = opts;
  }

  /** Tokens issued so far. */
  get tokensIssued(): number {
    return this.#issued;
  }

  /** Forgets every token issued, as a server restart or revocation would. */
  revokeTokens(): void {
    this.#tokens.clear();
  }

  /** Adds an image's blobs and manifest under `tag`. */
  addImage(repo: string, tag: string, img: BuiltImage): void {
    for (const b of [img.config, ...img.layers]) this.addBlob(b.digest, b.bytes);
    this.addManifest(repo, tag, img.manifest);
  }

  addBlob(digest: string, bytes: Uint8Array): void {
    this.#blobs.set(digest, bytes);
  }

  addManifest(
    repo: string,
    tag: string,
    m: { bytes: Uint8Array; mediaType: string; digest: string },
  ): void {
    this.#manifests.set(`${repo}@${tag}`, m);
    this.#manifests.set(`${repo}@${m.digest}`, m);
    if (!m.digest.startsWith(tag)) {
      this.#tags.set(repo, (this.#tags.get(repo) ?? new Set()).add(tag));
    }
  }

  /** The handler to pass as `fetch`. */
  readonly fetch = (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    this.seen.push({
      method: req.method,
      url: req.url,
      host: url.host,
      authorization: req.headers.get("authorization"),
      range: req.headers.get("range"),
    });
    const injected = this.fault?.(req, url);
    if (injected) return Promise.resolve(injected);
    if (url.host === AUTH_HOST) return this.#token(req, url);
    if (url.host === CDN_HOST) return Promise.resolve(this.#cdn(req, url));
    if (url.host === REGISTRY_HOST) return Promise.resolve(this.#registry(req, url));
    return Promise.reject(new TypeError(`dns error: failed to lookup address ${url.host}`));
  };

  #unauthorized(repo: string): Response {
    const challenge = this.#opts.bearer
      ? `Bearer realm="https://${AUTH_HOST}/token",service="${REGISTRY_HOST}",scope="repository:${repo}:pull"`
      : `Basic realm="fake"`;
    return json(401, { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }, {
      "www-authenticate": challenge,
    });
  }

  #authorized(req: Request, repo: string): boolean {
    const auth = req.headers.get("authorization") ?? "";
    if (this.#opts.basic) {
      const { username, password } = this.#opts.basic;
      return auth === "Basic " + btoa(`${username}:${password}`);
    }
    if (!this.#opts.bearer) return true;
    const t = this.#tokens.get(auth.replace(/^Bearer /, ""));
    return !!t && t.expiresAt > this.now && t.scopes.includes(`repository:${repo}:pull`);
  }

  async #token(req: Request, url: URL): Promise<Response> {
    let scopes = url.searchParams.getAll("scope");
    const o = this.#opts;
    if (req.method === "POST") {
      const form = new URLSearchParams(await req.text());
      if (
        form.get("grant_type") !== "refresh_token" || form.get("refresh_token") !== o.identityToken
      ) {
        return json(401, { error: "invalid_grant" });
      }
      scopes = (form.get("scope") ?? "").split(" ");
    } else if (o.tokenUser) {
      const want = "Basic " + btoa(`${o.tokenUser.username}:${o.tokenUser.password}`);
      if (req.headers.get("authorization") !== want) {
        return json(401, { errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] });
      }
    }
    const value = `tok-${++this.#issued}`;
    const expiresIn = o.expiresIn ?? 300;
    this.#tokens.set(value, { scopes, expiresAt: this.now + expiresIn * 1000 });
    const field = o.tokenField ?? "both";
    const body: Record<string, unknown> = { expires_in: expiresIn };
    if (field !== "access_token") body.token = value;
    if (field !== "token") body.access_token = value;
    return json(200, body);
  }

  #registry(req: Request, url: URL): Response {
    const m = /^\/v2\/(.+)\/(manifests|blobs|tags)\/(.+)$/.exec(url.pathname);
    if (url.pathname === "/v2/") return json(200, {});
    if (!m) return json(404, { errors: [{ code: "NOT_FOUND" }] });
    const [, repo, kind, ref] = m;
    if (!this.#authorized(req, repo)) return this.#unauthorized(repo);
    if (kind === "manifests") return this.#manifest(req, repo, ref);
    if (kind === "tags") return this.#tagList(repo, url);
    const bytes = this.#blobs.get(ref);
    if (!bytes) return json(404, { errors: [{ code: "BLOB_UNKNOWN", message: "blob unknown" }] });
    if (this.#opts.cdn) {
      return new Response(null, {
        status: 307,
        headers: { location: `https://${CDN_HOST}/blobs/${ref}?verify=sig` },
      });
    }
    return this.#serve(req, bytes);
  }

  #manifest(req: Request, repo: string, ref: string): Response {
    const found = this.#manifests.get(`${repo}@${ref}`);
    if (!found) {
      return json(404, { errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }] });
    }
    const headers = {
      "content-type": found.mediaType,
      "docker-content-digest": found.digest,
      "content-length": String(found.bytes.length),
    };
    return new Response(req.method === "HEAD" ? null : found.bytes as BodyInit, { headers });
  }

  #tagList(repo: string, url: URL): Response {
    const all = [...(this.#tags.get(repo) ?? [])].sort();
    const n = Number(url.searchParams.get("n") ?? all.length);
    const last = url.searchParams.get("last");
    const rest = last ? all.filter((t) => t > last) : all;
    const page = rest.slice(0, n);
    const headers: Record<string, string> = {};
    if (rest.length > n) {
      headers.link = `</v2/${repo}/tags/list?n=${n}&last=${page.at(-1)}>; rel="next"`;
    }
    return json(200, { name: repo, tags: page }, headers);
  }

  #cdn(req: Request, url: URL): Response {
    const bytes = this.#blobs.get(url.pathname.replace("/blobs/", ""));
    if (!bytes) return new Response("no such key", { status: 404 });
    return this.#serve(req, bytes);
  }

  #serve(req: Request, bytes: Uint8Array): Response {
    const range = /^bytes=(\d+)-$/.exec(req.headers.get("range") ?? "");
    if (range && !this.#opts.ignoreRange) {
      const start = Number(range[1]);
      return new Response(bytes.slice(start) as BodyInit, {
        status: 206,
        headers: { "content-range": `bytes ${start}-${bytes.length - 1}/${bytes.length}` },
      });
    }
    return new Response(bytes as BodyInit, { headers: { "content-length": String(bytes.length) } });
  }
}

/** A JSON answer. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}
