/**
 * Bounds on every phase of a request, so a server that accepts a connection
 * and then says nothing, or trickles, cannot hang a pull:
 *
 * - connecting and the response headers: one timer per attempt
 *   ({@linkcode withDeadline}; `fetch` does not tell the two phases apart);
 * - small bodies (manifest, index, tag list, token, error): a total deadline
 *   from the headers to the last byte ({@linkcode readWithDeadline});
 * - blob bodies: the stall timer of `_blob_stream.ts` (a config blob also
 *   gets the total deadline).
 *
 * The bound is `SREGISTRY_TIMEOUT` seconds (default 60); a timed-out attempt
 * is retried like any network failure (`withRetry`).
 * @module
 */
import type { Fetcher } from "./transport.ts";

/** The bound when none is given (the default of `SREGISTRY_TIMEOUT`). */
export const DEFAULT_TIMEOUT_MS = 60_000;

/** The phase of a request that ran out of time. */
export type RequestPhase = "headers" | "body";

/**
 * A request phase that did not finish within its bound. Not a
 * `SregistryError`: the client turns it into one naming the action
 * (`networkError`), after the retry policy had its say.
 */
export class RequestTimeout extends Error {
  readonly host: string;
  readonly phase: RequestPhase;
  readonly timeoutMs: number;
  constructor(host: string, phase: RequestPhase, timeoutMs: number) {
    super(
      phase === "headers"
        ? `no answer from ${host} within ${
          seconds(timeoutMs)
        } (connecting or waiting for the response headers)`
        : `the answer from ${host} did not arrive in full within ${
          seconds(timeoutMs)
        } (the body stalled or trickled)`,
    );
    this.name = "RequestTimeout";
    this.host = host;
    this.phase = phase;
    this.timeoutMs = timeoutMs;
  }
}

/** `5 s`, `0.2 s`. */
export function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** The `RequestTimeout` in an error's cause chain, if any. */
export function findTimeout(e: unknown): RequestTimeout | undefined {
  for (let x = e, i = 0; x !== undefined && x !== null && i < 8; i++) {
    if (x instanceof RequestTimeout) return x;
    x = (x as Error)?.cause;
  }
  return undefined;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/**
 * Bounds connecting plus waiting for the response headers to `timeoutMs`
 * per attempt. On expiry the request is aborted and the promise rejects with
 * {@linkcode RequestTimeout} (phase `headers`); an abort of the caller's own
 * signal still rejects with the caller's reason. The body is not bounded
 * here (see {@linkcode readWithDeadline} and the blob stall timer).
 *
 * @param inner the fetcher to bound
 * @param timeoutMs the bound in milliseconds (> 0)
 */
export function withDeadline(inner: Fetcher, timeoutMs: number): Fetcher {
  return async (req) => {
    const timer = new AbortController();
    const timeout = new RequestTimeout(hostOf(req.url), "headers", timeoutMs);
    let id: ReturnType<typeof setTimeout> | undefined;
    // Raced as well as aborted: a fetcher that ignores its signal cannot hang us.
    const expired = new Promise<never>((_, reject) => {
      id = setTimeout(() => {
        timer.abort(timeout);
        reject(timeout);
      }, timeoutMs);
    });
    const signal = AbortSignal.any([req.signal, timer.signal]);
    try {
      return await Promise.race([inner(new Request(req, { signal })), expired]);
    } catch (e) {
      if (timer.signal.aborted && !req.signal.aborted) throw timeout;
      throw e;
    } finally {
      clearTimeout(id);
    }
  };
}

/** Options of {@linkcode readWithDeadline}. */
export interface ReadOptions {
  /** Most bytes kept; the rest is cancelled. */
  limit: number;
  /** Total time from now to the end of the body (default 60 s). */
  timeoutMs?: number;
  /** For the message: the request's URL. */
  url?: string;
  /** `partial` returns what arrived in time instead of throwing (error bodies). */
  onTimeout?: "throw" | "partial";
}

/**
 * Reads at most `limit` bytes of a body within a total deadline, then
 * cancels the rest (which closes the connection when bytes remain).
 * @returns the bytes read (at most `limit`)
 * @throws {RequestTimeout} (phase `body`) when the body is not complete in
 *   time and `onTimeout` is `throw`; the body's own error when it breaks
 */
export async function readWithDeadline(res: Response, o: ReadOptions): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array(0);
  const ms = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  let id: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"expired">((resolve) => {
    id = setTimeout(() => resolve("expired"), ms);
  });
  try {
    while (n < o.limit) {
      const r = await Promise.race([reader.read(), expired]);
      if (r === "expired") {
        if (o.onTimeout === "partial") break;
        throw new RequestTimeout(hostOf(o.url ?? res.url), "body", ms);
      }
      if (r.done) break;
      chunks.push(r.value);
      n += r.value.length;
    }
  } finally {
    clearTimeout(id);
    await reader.cancel().catch(() => {});
  }
  const out = new Uint8Array(Math.min(n, o.limit));
  let off = 0;
  for (const c of chunks) {
    const part = c.subarray(0, out.length - off);
    out.set(part, off);
    off += part.length;
  }
  return out;
}
