/**
 * How the client reaches a registry: the fetcher stack, retry(deadline(user
 * agent(fetch))), under an authenticating session (`auth.ts`); the URLs of
 * the distribution API; redirects followed here (`redirect: "manual"`), so
 * `Authorization` never reaches another host; error answers and network
 * failures turned into typed errors (`errors.ts`).
 * @module
 */
import { NetworkError, SregistryError } from "../errors.ts";
import { pullScope, type Reference, registryEndpoint } from "../reference.ts";
import { AuthSession } from "./auth.ts";
import { networkError, responseError } from "./errors.ts";
import { DEFAULT_TIMEOUT_MS, withDeadline } from "./deadline.ts";
import { redirectTarget } from "./_redirect.ts";
import { type Fetcher, withRetry, withUserAgent } from "./transport.ts";
import type { ClientOptions } from "./types.ts";

/** One registry client's way to the registries it talks to (see the module doc). */
export class Connection {
  #opts: ClientOptions;
  #plain: Fetcher;
  #auth: AuthSession;
  /** The bound on each phase of a request (headers, a stalled body), in milliseconds. */
  readonly timeoutMs: number;

  constructor(opts: ClientOptions) {
    this.#opts = opts;
    this.timeoutMs = opts.timeoutMs ?? opts.stallTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const base: Fetcher = opts.fetch ?? ((req) => fetch(req));
    const bounded = withDeadline(
      withUserAgent(base, opts.userAgent ?? "sregistry"),
      this.timeoutMs,
    );
    this.#plain = withRetry(bounded, {
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
      credentialHost: (host) => (host === this.host("docker.io") ? "docker.io" : host),
      timeoutMs: this.timeoutMs,
    });
  }

  /** The host serving a reference domain (`endpoint` option, else `registryEndpoint`). */
  host(domain: string): string {
    return this.#opts.endpoint?.(domain) ?? registryEndpoint(domain);
  }

  /** The URL of `path` (`manifests/TAG`, `blobs/DIGEST`) in `ref`'s repository. */
  url(ref: Reference, path: string): string {
    const scheme = this.#opts.plainHttp?.(ref.domain) ? "http" : "https";
    return `${scheme}://${this.host(ref.domain)}/v2/${ref.path}/${path}`;
  }

  /** Sends through auth (or not), following redirects itself. */
  async send(
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
        if (init.signal?.aborted) throw e;
        if (e instanceof SregistryError && !(e instanceof NetworkError)) throw e;
        throw networkError(e, url, ctx.action);
      }
      const location = res.headers.get("location");
      if (res.status < 300 || res.status >= 400 || !location) return res;
      await res.body?.cancel();
      url = redirectTarget(url, location, hop, {
        action: ctx.action,
        status: res.status,
        method: init.method ?? "GET",
      });
    }
  }

  /** `res` when it is a success, else its typed error (the body read to explain it). */
  async check(res: Response, action: string, method: string, url: string): Promise<Response> {
    if (res.ok) return res;
    const host = new URL(url).host;
    const loginHost = host === this.host("docker.io") ? "docker.io" : host;
    throw await responseError(res, { action, method, url, loginHost, timeoutMs: this.timeoutMs });
  }

  /** GETs from the registry with auth, failing on error answers. */
  async get(ref: Reference, url: string, action: string, accept: string): Promise<Response> {
    const res = await this.send(url, { headers: { accept } }, { action, scope: pullScope(ref) });
    return await this.check(res, action, "GET", url);
  }
}
