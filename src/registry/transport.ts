/**
 * HTTP as a composable function: `Fetcher` layers for the user agent and for
 * retrying temporary failures with capped, jittered exponential backoff.
 * @module
 */
import {
  BlockedPortError,
  ConnectionRefusedError,
  ConnectionResetError,
  NetworkError,
  TlsError,
  UnknownHostError,
} from "../errors.ts";
import type { ProxyFacts } from "../error_facts.ts";

/** One HTTP exchange; `fetch` itself is one, fakes are others. */
export type Fetcher = (req: Request) => Promise<Response>;

/** Adds `User-Agent` to every request that has none. */
export function withUserAgent(inner: Fetcher, ua: string): Fetcher {
  return (req) => {
    if (req.headers.has("user-agent")) return inner(req);
    const headers = new Headers(req.headers);
    headers.set("user-agent", ua);
    return inner(new Request(req, { headers }));
  };
}

/** What `onRetry` is told before each wait. */
export interface RetryInfo {
  /** 1 for the first retry. */
  attempt: number;
  /** How long we wait before it. */
  delayMs: number;
  /** The URL without its query (which may hold signatures). */
  url: string;
  /** The HTTP status that caused the retry, if any. */
  status?: number;
  /** The network error that caused the retry, if any. */
  error?: unknown;
}

/** Options of {@linkcode withRetry}. */
export interface RetryOptions {
  /** Retries after the first attempt (default 5). */
  retries?: number;
  /** First backoff delay (default 500 ms). */
  baseDelayMs?: number;
  /** Backoff cap (default 30 s). */
  maxDelayMs?: number;
  /** Longest `Retry-After` we wait out; a longer one is returned as is (default 60 s). */
  maxRetryAfterS?: number;
  /** Told before each wait. */
  onRetry?: (info: RetryInfo) => void;
  /** Injectable sleep for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injectable randomness in [0, 1) for jitter. */
  random?: () => number;
}

/** A temporary HTTP status worth retrying. */
export function isTemporaryStatus(status: number): boolean {
  return status === 408 || status === 429 ||
    (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

/** The messages of an error and its `cause` chain, joined. */
export function errorText(e: unknown): string {
  const parts: string[] = [];
  for (let x = e, i = 0; x !== undefined && x !== null && i < 8; i++) {
    parts.push(String((x as Error)?.message ?? x));
    x = (x as Error)?.cause;
  }
  return parts.join(": ");
}

/** Node's `code` values (node:http route, `node_fetch.ts`) for each failure class. */
const DNS_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_FAIL"]);
const REFUSED_CODES = new Set(["ECONNREFUSED"]);
const RESET_CODES = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED", "UND_ERR_SOCKET"]);
const CERT_CODE =
  /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT|ERR_TLS_CERT_ALTNAME_INVALID)/;

/**
 * Deno's wording for each class. Deno's `fetch` rejects with
 * `TypeError("fetch failed")` whose `cause` is a plain `Error` carrying only
 * hyper/rustls text ("client error (Connect): dns error: failed to lookup
 * address information", "tcp connect error: Connection refused (os error
 * 111)", "invalid peer certificate: UnknownIssuer"): no `code`, no
 * `Deno.errors` class (checked on Deno 2.9.6). So this one place reads that
 * text; nothing else in sregistry looks at a network error's message.
 */
const DENO_DNS =
  /dns error|failed to lookup|Name or service not known|No address associated|getaddrinfo ENOTFOUND/i;
const DENO_REFUSED = /connection refused|os error 111\b/i;
const DENO_RESET =
  /connection reset|os error 104\b|broken pipe|connection closed before|unexpected eof/i;
const DENO_CERT =
  /invalid peer certificate|UnknownIssuer|NotValidForName|CertExpired|certificate verify failed|unable to verify|self[- ]signed certificate|certificate has expired|altnames|certificate/i;
const DENO_TLS = /\btls\b|\bssl\b|handshake|corrupt message/i;
const DENO_BLOCKED_PORT = /Requests to port \d+ are blocked/i;

/** The messages of an error and its `cause` chain, without URLs (a host may be "tls.example"). */
function failureText(e: unknown): string {
  return errorText(e).replace(/\(?\bhttps?:\/\/[^\s)]*\)?/g, "");
}

/** The `code` fields along an error's `cause` chain. */
function codesOf(e: unknown): string[] {
  const codes: string[] = [];
  for (let x = e, i = 0; x instanceof Error && i < 8; x = x.cause, i++) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
  }
  return codes;
}

/** The failure in the transport's own words, e.g. `invalid peer certificate: UnknownIssuer`. */
function failureDetail(e: unknown): string {
  const text = failureText(e);
  const m = /client error \(Connect\):\s*(.+)$/.exec(text);
  return (m?.[1] ?? text).trim();
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/**
 * The typed error for a `fetch` that got no answer: {@linkcode UnknownHostError},
 * {@linkcode ConnectionRefusedError}, {@linkcode ConnectionResetError} or
 * {@linkcode TlsError} (its `certificate` set for an untrusted certificate),
 * {@linkcode BlockedPortError}, with `e` as `cause` and the host and URL
 * (without query) as facts, and `proxy` when one applied; `e` itself (or the first of its causes) when it
 * is one already; undefined for anything else (an abort, a timeout). Node errors are read by `code`; Deno's carry only
 * text, read here once (see `DENO_DNS`).
 */
export function classifyFetchFailure(
  e: unknown,
  url: string,
  proxy?: ProxyFacts,
): NetworkError | undefined {
  if (e instanceof NetworkError) return e;
  if (!(e instanceof Error) || e.name === "AbortError" || e.name === "TimeoutError") {
    return undefined;
  }
  const facts = { host: hostOf(url), url: safeUrl(url), ...(proxy ? { proxy } : {}) };
  const options = { cause: e };
  for (let x: unknown = e, i = 0; x instanceof Error && i < 8; x = x.cause, i++) {
    if (x instanceof NetworkError) return x; // classified where it failed, e.g. a bad port
  }
  if (DENO_BLOCKED_PORT.test(errorText(e))) {
    return new BlockedPortError(facts, options);
  }
  const codes = codesOf(e);
  const text = failureText(e);
  const detail = failureDetail(e);
  if (codes.some((c) => DNS_CODES.has(c)) || DENO_DNS.test(text)) {
    return new UnknownHostError(facts, options);
  }
  const certificate = codes.some((c) => CERT_CODE.test(c)) || DENO_CERT.test(text);
  if (certificate || DENO_TLS.test(text)) {
    return new TlsError({ ...facts, certificate, detail }, options);
  }
  if (codes.some((c) => REFUSED_CODES.has(c)) || DENO_REFUSED.test(text)) {
    return new ConnectionRefusedError(facts, options);
  }
  if (codes.some((c) => RESET_CODES.has(c)) || DENO_RESET.test(text)) {
    return new ConnectionResetError(facts, options);
  }
  return undefined;
}

/** A DNS failure: retrying does not help. */
export function isUnknownHostError(e: unknown): boolean {
  return classifyFetchFailure(e, "") instanceof UnknownHostError;
}

/**
 * A port web `fetch` refuses (Deno's `Requests to port 6000 are blocked`, or
 * sregistry's own refusal, see `bad_ports.ts`): retrying does not help.
 */
export function isBlockedPortError(e: unknown): boolean {
  return classifyFetchFailure(e, "") instanceof BlockedPortError;
}

/** A certificate refused by TLS verification: retrying does not help. */
export function isCertificateError(e: unknown): boolean {
  const failure = classifyFetchFailure(e, "");
  return failure instanceof TlsError && failure.certificate;
}

/** Parses `Retry-After` (seconds or an HTTP date) into seconds. */
export function parseRetryAfter(
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, Math.ceil((t - now) / 1000));
}

/** The URL without query and fragment, safe to show. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url.replace(/[?#].*$/, "");
  }
}

/** Sleeps `ms`, rejecting early when `signal` aborts. */
export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function backoff(
  attempt: number,
  o: Required<Pick<RetryOptions, "baseDelayMs" | "maxDelayMs">>,
  random: () => number,
): number {
  const capped = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(capped * (0.5 + random() / 2));
}

/**
 * Retries temporary failures: 408, 429 and 5xx answers and network errors
 * (not unknown hosts, not aborts). 429 and 503 honour `Retry-After` up to
 * `maxRetryAfterS`; a longer wait is not attempted and the answer is
 * returned. After the last retry the last answer is returned, or the last
 * network error thrown. Only for requests without a body (GET/HEAD).
 */
export function withRetry(inner: Fetcher, opts: RetryOptions = {}): Fetcher {
  const retries = opts.retries ?? 5;
  const delays = { baseDelayMs: opts.baseDelayMs ?? 500, maxDelayMs: opts.maxDelayMs ?? 30_000 };
  const maxRetryAfterS = opts.maxRetryAfterS ?? 60;
  const sleep = opts.sleep ?? defaultSleep;
  const random = opts.random ?? Math.random;
  return async (req) => {
    for (let attempt = 1;; attempt++) {
      let res: Response | undefined;
      let error: unknown;
      try {
        res = await inner(req.clone());
      } catch (e) {
        const failure = classifyFetchFailure(e, req.url);
        if (
          req.signal.aborted || failure?.retryable === false || attempt > retries
        ) throw e;
        error = e;
      }
      if (res && (!isTemporaryStatus(res.status) || attempt > retries)) return res;
      let delayMs = backoff(attempt, delays, random);
      if (res) {
        const after = parseRetryAfter(res.headers.get("retry-after"));
        if (after !== undefined) {
          if (after > maxRetryAfterS) return res;
          delayMs = Math.max(delayMs, after * 1000);
        }
        await res.body?.cancel();
      }
      opts.onRetry?.({ attempt, delayMs, url: safeUrl(req.url), status: res?.status, error });
      await sleep(delayMs, req.signal);
    }
  };
}
