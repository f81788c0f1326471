/**
 * A `Fetcher` over `node:http`/`node:https`, for registries on the ports web
 * `fetch` refuses (`bad_ports.ts`): Deno's Node layer opens any port.
 *
 * What it does like `fetch`: streams the body (with backpressure), aborts on
 * the request's signal, never follows redirects (the client does), trusts
 * the CA certificates given (the system bundle, `SREGISTRY_CA_FILE`,
 * `DENO_CERT`). What it does not: HTTP proxies (`node:http`
 * ignores `HTTP_PROXY`, so the caller refuses when one applies), and
 * decompression (it sends no `Accept-Encoding`, so none is needed).
 * @module
 */
import http from "node:http";
import https from "node:https";
import type { Fetcher } from "./transport.ts";

/** Options of {@linkcode nodeFetcher}. */
export interface NodeFetchOptions {
  /**
   * The PEM certificates https trusts (the whole list: Deno 2.9's Node layer
   * reads its own roots only with a bare `--allow-sys`, so the caller passes
   * the system bundle, see {@linkcode systemCaBundle}). Without any, https
   * requests fail with "no CA certificates".
   */
  caCerts?: string[];
}

/** Where Linux distributions keep the system's CA bundle (Debian, RHEL, SUSE, Alpine). */
export const SYSTEM_CA_BUNDLES: readonly string[] = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
  "/etc/ssl/ca-bundle.pem",
  "/etc/ssl/cert.pem",
];

/** The first system CA bundle that can be read, as PEM text, or undefined. */
export function systemCaBundle(
  read: (path: string) => string = Deno.readTextFileSync,
): string | undefined {
  for (const path of SYSTEM_CA_BUNDLES) {
    try {
      const text = read(path);
      if (text.includes("-----BEGIN CERTIFICATE-----")) return text;
    } catch { /* next */ }
  }
  return undefined;
}

function toHeaders(raw: string[]): Headers {
  const h = new Headers();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      h.append(raw[i], raw[i + 1]);
    } catch { /* a header fetch would refuse too */ }
  }
  return h;
}

/** The incoming message as a web stream: paused while the reader is behind. */
function bodyStream(res: http.IncomingMessage): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(c) {
      res.on("data", (d: Uint8Array) => {
        c.enqueue(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
        if ((c.desiredSize ?? 0) <= 0) res.pause();
      });
      res.on("end", () => c.close());
      res.on("error", (e) => c.error(e));
      res.on("aborted", () => c.error(new TypeError("connection reset: the body was cut")));
    },
    pull() {
      res.resume();
    },
    cancel() {
      res.destroy();
    },
  }, { highWaterMark: 8 });
}

/**
 * Builds the fetcher.
 * @param o extra CA certificates
 * @returns a `Fetcher`; network failures reject with Node's errors
 *   (`connect ECONNREFUSED ...`, `getaddrinfo ENOTFOUND ...`, certificate
 *   errors), which the client's messages understand
 */
export function nodeFetcher(o: NodeFetchOptions = {}): Fetcher {
  const ca = o.caCerts ?? [];
  return async (req) => {
    const url = new URL(req.url);
    if (url.protocol === "https:" && ca.length === 0) {
      throw new TypeError("no CA certificates to verify the registry's TLS certificate with");
    }
    const body = req.body ? new Uint8Array(await req.arrayBuffer()) : undefined;
    const headers: Record<string, string> = {};
    req.headers.forEach((v, k) => (headers[k] = v));
    if (body) headers["content-length"] = String(body.length);
    const signal = req.signal;
    signal.throwIfAborted();
    return await new Promise<Response>((resolve, reject) => {
      const options = { method: req.method, headers, ...(url.protocol === "https:" ? { ca } : {}) };
      const r = url.protocol === "https:"
        ? https.request(url, options)
        : http.request(url, options);
      const onAbort = () => {
        r.destroy(signal.reason);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      r.on("error", (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      });
      r.on("response", (res) => {
        const status = res.statusCode ?? 0;
        const empty = req.method === "HEAD" || status === 204 || status === 304;
        if (empty) res.resume();
        else signal.addEventListener("abort", () => res.destroy(), { once: true });
        signal.removeEventListener("abort", onAbort);
        try {
          resolve(
            new Response(empty ? null : bodyStream(res), {
              status,
              statusText: res.statusMessage ?? "",
              headers: toHeaders(res.rawHeaders),
            }),
          );
        } catch (e) {
          res.destroy();
          reject(new TypeError(`invalid answer from ${url.host}: ${(e as Error).message}`));
        }
      });
      r.end(body);
    });
  };
}
