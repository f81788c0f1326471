/**
 * Docker Hub mirrors (`SREGISTRY_DOCKERHUB_MIRROR`): a `RegistryClient` that,
 * for `docker.io` references only, tries each mirror in order (same
 * repository path, e.g. `library/busybox`) and finally Docker Hub itself.
 * A mirror is skipped for a request on a 404, a 401/403 its credentials did
 * not fix, or a wrong digest; it is skipped for the rest of the run on a
 * connection error or a 5xx. Content is verified exactly as from the
 * registry: a mirror can be missing things, never change them. (A layer
 * whose bytes turn out wrong while streaming fails the pull rather than
 * falling back, since its bytes were already handed on.)
 * @module
 */
import { DigestMismatchError, RegistryError, UsageError } from "../errors.ts";
import { formatReference, type Reference, registryEndpoint } from "../reference.ts";
import { RegistryClient } from "./client.ts";
import type { Descriptor } from "../image/manifest.ts";
import type { ClientOptions, FetchedManifest } from "./types.ts";
import type { RateLimit } from "./_headers.ts";

/** A registry endpoint: where to connect and how. */
export interface Endpoint {
  /** `host[:port]`. */
  host: string;
  /** Plain http instead of https. */
  plainHttp: boolean;
}

/** Options of {@linkcode MirroredClient}. */
export interface MirrorOptions extends ClientOptions {
  /** Endpoints tried in order for docker.io before Docker Hub. */
  mirrors: Endpoint[];
  /** Retries against a mirror before moving on (default 1: a dead mirror should cost little). */
  mirrorRetries?: number;
}

interface Mirror {
  label: string;
  client: RegistryClient;
  /** Why it is skipped for the rest of the run. */
  down?: string;
}

/**
 * Parses a registry endpoint given as a host or URL: `mirror.example.org`,
 * `127.0.0.1:5001`, `http://127.0.0.1:5001`, `https://m.example.org/v2/`.
 *
 * @param value the host or URL
 * @param options `plainHttp` for values without a scheme (default false); `name` the variable, for messages
 * @returns the endpoint
 * @throws {UsageError} when the value is not a host or an http(s) URL without a path
 * @example
 * ```ts
 * parseEndpoint("http://127.0.0.1:5001"); // { host: "127.0.0.1:5001", plainHttp: true }
 * ```
 */
export function parseEndpoint(
  value: string,
  options: { plainHttp?: boolean; name?: string } = {},
): Endpoint {
  const text = value.trim();
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
  let url: URL | undefined;
  try {
    url = new URL(hasScheme ? text : `https://${text}`);
  } catch { /* reported below */ }
  const path = url?.pathname.replace(/\/+$/, "") ?? "";
  if (
    !url || !url.host || !["http:", "https:"].includes(url.protocol) ||
    (path !== "" && path !== "/v2") || url.search || url.username || url.password
  ) {
    throw new UsageError(
      `Cannot use ${
        options.name ?? "the registry address"
      } "${text}": it is not a host[:port] or an http(s)://host[:port] URL: fix the variable`,
    );
  }
  return {
    host: url.host,
    plainHttp: hasScheme ? url.protocol === "http:" : options.plainHttp ?? false,
  };
}

/** Parses a comma-separated list of endpoints (`SREGISTRY_DOCKERHUB_MIRROR`). */
export function parseMirrors(
  values: string[],
  options: { plainHttp?: boolean } = {},
): Endpoint[] {
  return values.map((v) =>
    parseEndpoint(v, { ...options, name: "SREGISTRY_DOCKERHUB_MIRROR entry" })
  );
}

/** `http://host` or `https://host`, as users wrote it. */
export function endpointUrl(e: Endpoint): string {
  return `${e.plainHttp ? "http" : "https"}://${e.host}`;
}

/** The short reason a mirror failed, and whether it is down for the run. */
function failure(e: unknown): { reason: string; down: boolean } {
  if (e instanceof RegistryError) {
    return { reason: `it answered ${e.status}`, down: e.status >= 500 };
  }
  if (e instanceof DigestMismatchError) return { reason: "it served wrong content", down: true };
  const message = e instanceof Error ? e.message : String(e);
  // "Cannot <action>: <reason>: <fix>", where only ": " (colon, space) separates.
  return { reason: message.split(": ")[1] ?? message, down: true };
}

/** See the module doc. The hub itself is this client's own endpoint. */
export class MirroredClient extends RegistryClient {
  readonly #mirrors: Mirror[];
  readonly #onEvent: ClientOptions["onEvent"];

  constructor(opts: MirrorOptions) {
    super(opts);
    this.#onEvent = opts.onEvent;
    const credentials = opts.credentials;
    this.#mirrors = opts.mirrors.map((m) => ({
      label: endpointUrl(m),
      client: new RegistryClient({
        ...opts,
        endpoint: (domain) => (domain === "docker.io" ? m.host : registryEndpoint(domain)),
        plainHttp: () => m.plainHttp,
        // The mirror's own credentials, never Docker Hub's.
        credentials: credentials &&
          ((name) => credentials(name === "docker.io" ? m.host : name)),
        retries: Math.min(opts.retries ?? 5, opts.mirrorRetries ?? 1),
      }),
    }));
  }

  /** Runs `viaMirror` on each live mirror in order, then `upstream`. */
  async #try<T>(
    ref: Reference,
    what: string,
    viaMirror: (c: RegistryClient) => Promise<T>,
    upstream: () => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    if (ref.domain !== "docker.io") return await upstream();
    for (const [i, m] of this.#mirrors.entries()) {
      if (m.down) continue;
      try {
        const result = await viaMirror(m.client);
        if (result !== undefined) {
          this.#onEvent?.({ kind: "mirror", message: `${what}: from mirror ${m.label}` });
          return result;
        }
        this.#failed(i, what, "it does not have it");
      } catch (e) {
        if (signal?.aborted) throw e;
        const f = failure(e);
        if (f.down) m.down = f.reason;
        this.#failed(i, what, f.reason);
      }
    }
    return await upstream();
  }

  #failed(i: number, what: string, reason: string): void {
    const m = this.#mirrors[i];
    const next = this.#mirrors.slice(i + 1).find((x) => !x.down);
    this.#onEvent?.({
      kind: "mirror-failed",
      message: `mirror ${m.label} failed for ${what} (${reason}${
        m.down ? "; not used again in this run" : ""
      }): trying ${next ? `mirror ${next.label}` : "Docker Hub"}`,
    });
  }

  /** As {@linkcode RegistryClient.headManifest}, through the mirrors. */
  override headManifest(ref: Reference): Promise<
    { digest: string; mediaType: string; size: number; rateLimit?: RateLimit } | undefined
  > {
    return this.#try(
      ref,
      `manifest of ${formatReference(ref)}`,
      (c) => c.headManifest(ref),
      () => super.headManifest(ref),
    );
  }

  /** As {@linkcode RegistryClient.getManifest}, through the mirrors. */
  override getManifest(ref: Reference, reference?: string): Promise<FetchedManifest> {
    const what = reference
      ? `manifest ${reference} of ${ref.path}`
      : `manifest of ${formatReference(ref)}`;
    return this.#try(
      ref,
      what,
      (c) => c.getManifest(ref, reference),
      () => super.getManifest(ref, reference),
    );
  }

  /** As {@linkcode RegistryClient.fetchBlob}, through the mirrors (used by `openBlob`). */
  override fetchBlob(
    ref: Reference,
    desc: Descriptor,
    opts: { offset?: number; signal?: AbortSignal } = {},
  ): Promise<Response> {
    return this.#try(
      ref,
      `blob ${desc.digest}${opts.offset ? ` from byte ${opts.offset}` : ""}`,
      (c) => c.fetchBlob(ref, desc, opts),
      () => super.fetchBlob(ref, desc, opts),
      opts.signal,
    );
  }

  /** As {@linkcode RegistryClient.listTags}, through the mirrors. */
  override listTags(ref: Reference, opts: { pageSize?: number } = {}): Promise<string[]> {
    return this.#try(
      ref,
      `tags of ${ref.path}`,
      (c) => c.listTags(ref, opts),
      () => super.listTags(ref, opts),
    );
  }
}

/**
 * The Docker Hub endpoint from `SREGISTRY_DOCKERHUB_BASE`: the default
 * `index.docker.io` means the API host `registry-1.docker.io`; anything else
 * (a host or URL) is used as given.
 */
export function hubEndpoint(base: string, plainHttp: boolean): Endpoint {
  const e = parseEndpoint(base, { plainHttp, name: "SREGISTRY_DOCKERHUB_BASE" });
  return e.host === "index.docker.io" ? { ...e, host: registryEndpoint("docker.io") } : e;
}
