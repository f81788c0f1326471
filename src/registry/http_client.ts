/**
 * The HTTP function the registry client runs on, built from the user's
 * network settings: an extra CA bundle (`SREGISTRY_CA_FILE`, through
 * `Deno.createHttpClient({ caCerts })`) and certificate failures turned into
 * messages that say what to set. What Deno does natively is left to Deno:
 * `DENO_CERT` (an extra CA file), `DENO_TLS_CA_STORE=system` (the system's
 * CAs) and `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY`, which `fetch` and clients
 * made by `createHttpClient` both honour. Deno 2.9 cannot turn certificate
 * checks off per client: `SREGISTRY_HTTPS_NOVERIFY` needs the runtime flag
 * `--unsafely-ignore-certificate-errors`, and failures say so. A registry on
 * a port `fetch` refuses (6000, 5060, ...: `bad_ports.ts`) is reached through
 * `node:http`/`node:https` (`node_fetch.ts`, with the same CA file), unless a
 * proxy variable applies to it, which that route cannot honour: then the
 * request fails at once naming the port.
 * @module
 */
import { SregistryError, TlsError } from "../errors.ts";
import { classifyFetchFailure, type Fetcher, safeUrl } from "./transport.ts";
import { badPortError, badPortOf, proxyFacts, proxyVariable } from "./bad_ports.ts";
import { nodeFetcher, systemCaBundle } from "./node_fetch.ts";

/** The settings this layer reads (see `Settings`). */
export interface HttpSettings {
  /** `SREGISTRY_CA_FILE`: a PEM bundle trusted in addition to the built-in roots. */
  caFile?: string;
  /** `SREGISTRY_HTTPS_NOVERIFY`. */
  httpsNoVerify?: boolean;
}

/** A fetch that may take a Deno HTTP client (global `fetch` does). */
export type ClientFetch = (req: Request, init?: { client?: Deno.HttpClient }) => Promise<Response>;

/** The fetcher and the resources behind it. */
export interface HttpFetcher extends Disposable {
  fetch: Fetcher;
  /** Closes the HTTP client, if one was made. */
  close(): void;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** Reads a CA bundle, with messages naming the variable. */
export function readCaFile(
  path: string,
  read: (path: string) => string = Deno.readTextFileSync,
): string {
  let text: string;
  try {
    text = read(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "no such file" : (e as Error).message;
    throw new SregistryError(
      `Cannot read SREGISTRY_CA_FILE ${path}: ${why}: set it to a PEM file of CA certificates`,
      { cause: e },
    );
  }
  if (!PEM_CERT.test(text)) {
    throw new SregistryError(
      `Cannot use SREGISTRY_CA_FILE ${path}: it holds no PEM certificate (-----BEGIN CERTIFICATE-----): set it to a PEM file of CA certificates`,
    );
  }
  return text;
}

/** True when a fetch failure is about TLS (certificates, handshake). */
export function isTlsError(e: unknown): boolean {
  return classifyFetchFailure(e, "") instanceof TlsError;
}

/**
 * The error for a TLS failure talking to `url`'s host: what went wrong and
 * what to set, given the settings in force.
 */
export function tlsError(url: string, e: unknown, settings: HttpSettings): TlsError {
  const host = new URL(url).host;
  const failure = classifyFetchFailure(e, url);
  return new TlsError({
    host,
    url: safeUrl(url),
    action: `connect to ${host}`,
    certificate: failure instanceof TlsError && failure.certificate,
    detail: failure instanceof TlsError ? failure.detail : String((e as Error)?.message ?? e),
    settings,
  }, { cause: e });
}

/** What the node:https route trusts: the system bundle, SREGISTRY_CA_FILE and DENO_CERT. */
function nodeRoots(
  pem: string | undefined,
  env: (name: string) => string | undefined,
  read: (path: string) => string = Deno.readTextFileSync,
): string[] {
  const roots = [systemCaBundle(read), pem];
  const denoCert = env("DENO_CERT");
  if (denoCert) {
    try {
      roots.push(read(denoCert));
    } catch { /* fetch reports a bad DENO_CERT itself */ }
  }
  return roots.filter((r): r is string => r !== undefined);
}

/**
 * Builds the fetcher for `settings`.
 *
 * @param settings CA file and no-verify setting
 * @param options `fetch`: the underlying fetch (default global `fetch`);
 *   `readFile`, `createHttpClient`: injectable for tests
 * @returns the fetcher; `close()` it (or `using`) when done
 * @throws {SregistryError} when the CA file cannot be read or holds no certificate
 * @example
 * ```ts
 * import { RegistryClient } from "./client.ts";
 * using http = createHttpFetcher({}); // or { caFile: "/etc/ssl/private-ca.pem" }
 * new RegistryClient({ fetch: http.fetch });
 * ```
 */
export function createHttpFetcher(
  settings: HttpSettings,
  options: {
    fetch?: ClientFetch;
    readFile?: (path: string) => string;
    createHttpClient?: (o: Deno.CreateHttpClientOptions) => Deno.HttpClient;
    env?: (name: string) => string | undefined;
  } = {},
): HttpFetcher {
  const inner: ClientFetch = options.fetch ?? ((req, init) => fetch(req, init));
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  let client: Deno.HttpClient | undefined;
  let pem: string | undefined;
  if (settings.caFile) {
    pem = readCaFile(settings.caFile, options.readFile);
    try {
      client = (options.createHttpClient ?? Deno.createHttpClient)({ caCerts: [pem] });
    } catch (e) {
      throw new SregistryError(
        `Cannot use SREGISTRY_CA_FILE ${settings.caFile}: ${
          (e as Error).message
        }: set it to a PEM file of CA certificates`,
        { cause: e },
      );
    }
  }
  let viaNode: Fetcher | undefined;
  const fetcher: Fetcher = async (req) => {
    try {
      if (badPortOf(req.url) !== undefined && !options.fetch) {
        const proxy = proxyVariable(req.url, env);
        if (proxy) {
          throw badPortError(
            req.url,
            `${proxy} is set, which the other route (node:http) cannot use`,
          );
        }
        viaNode ??= nodeFetcher({ caCerts: nodeRoots(pem, env, options.readFile) });
        return await viaNode(req);
      }
      return await inner(req, client ? { client } : undefined);
    } catch (e) {
      if (req.signal.aborted) throw e;
      const failure = classifyFetchFailure(e, req.url, proxyFacts(req.url, env));
      if (failure instanceof TlsError) throw tlsError(req.url, e, settings);
      throw failure ?? e;
    }
  };
  const close = () => {
    client?.close();
    client = undefined;
  };
  return { fetch: fetcher, close, [Symbol.dispose]: close };
}
