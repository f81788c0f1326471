/**
 * A reverse proxy in front of the real test registry that behaves like
 * proxies and registries seen in the wild: refuses HEAD on manifests (405,
 * 501, ...), answers HEAD without `Docker-Content-Digest`, or strips that
 * header from every answer. Everything else is passed through unchanged.
 * @module
 */

/** How the proxy misbehaves. */
export interface Quirks {
  /** Answer HEAD on manifests with this status (and no digest header). */
  headStatus?: number;
  /** Drop `Docker-Content-Digest` from every answer. */
  stripDigest?: boolean;
  /** Replace `Docker-Content-Digest` with this value. */
  digestHeader?: string;
}

/** A running proxy. */
export interface QuirkyProxy extends AsyncDisposable {
  /** `127.0.0.1:<port>` */
  host: string;
  /** `METHOD path status` of each answer, oldest first. */
  seen: string[];
  close(): Promise<void>;
}

/** Starts a proxy to `upstream` (`http://127.0.0.1:<port>`) with `quirks`. */
export function quirkyProxy(upstream: string, quirks: Quirks): QuirkyProxy {
  const seen: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      const isManifest = url.pathname.includes("/manifests/");
      if (req.method === "HEAD" && isManifest && quirks.headStatus) {
        seen.push(`HEAD ${url.pathname} ${quirks.headStatus}`);
        return new Response(null, { status: quirks.headStatus });
      }
      const headers = new Headers(req.headers);
      headers.delete("host");
      const res = await fetch(upstream + url.pathname + url.search, {
        method: req.method,
        headers,
        redirect: "manual",
      });
      seen.push(`${req.method} ${url.pathname} ${res.status}`);
      const out = new Headers(res.headers);
      if (quirks.stripDigest) out.delete("docker-content-digest");
      if (quirks.digestHeader !== undefined) out.set("docker-content-digest", quirks.digestHeader);
      return new Response(req.method === "HEAD" ? null : res.body, {
        status: res.status,
        statusText: res.statusText,
        headers: out,
      });
    },
  );
  const close = () => server.shutdown();
  return {
    host: `127.0.0.1:${server.addr.port}`,
    seen,
    close,
    [Symbol.asyncDispose]: close,
  };
}
