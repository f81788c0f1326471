/**
 * HTTP as a composable function: `Fetcher` layers for the user agent and for
 * retrying temporary failures with capped, jittered exponential backoff.
 * @module
 */

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

/** A DNS failure: retrying does not help. */
export function isUnknownHostError(e: unknown): boolean {
  const text = errorText(e);
  return /dns error|failed to lookup|Name or service not known|No address associated|getaddrinfo ENOTFOUND/i
    .test(
      text,
    );
}

/**
 * A port web `fetch` refuses (`Requests to port 6000 are blocked`, or
 * sregistry's own refusal, see `bad_ports.ts`): retrying does not help.
 */
export function isBlockedPortError(e: unknown): boolean {
  return /Requests to port \d+ are blocked|is one web fetch refuses/i.test(errorText(e));
}

/** A certificate refused by TLS verification: retrying does not help. */
export function isCertificateError(e: unknown): boolean {
  return !isUnknownHostError(e) &&
    /invalid peer certificate|UnknownIssuer|NotValidForName|CertExpired|certificate verify failed|unable to verify|self[- ]signed certificate|certificate has expired|altnames/i
      .test(errorText(e).replace(/\(?\bhttps?:\/\/[^\s)]*\)?/g, ""));
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
        if (
          req.signal.aborted || isUnknownHostError(e) || isCertificateError(e) ||
          isBlockedPortError(e) || attempt > retries
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
