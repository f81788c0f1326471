/**
 * GETting a small document (manifest, index, tag page) whole: its declared
 * size checked, its body read within a total deadline (`deadline.ts`), and
 * the request sent again when the body times out or breaks, like any
 * network failure (same retry count, capped exponential backoff).
 * @module
 */
import { SregistryError } from "../errors.ts";
import { findTimeout } from "./deadline.ts";
import { networkError, readLimited } from "./errors.ts";
import { safeUrl } from "./transport.ts";

/** Options of {@linkcode getSmallDocument}. */
export interface SmallDocumentOptions {
  /** Sends the request; throws on error answers. */
  get: () => Promise<Response>;
  url: string;
  /** Completes "Cannot <action>". */
  action: string;
  /** What a too-big answer is not, e.g. "an image manifest". */
  what: string;
  /** Most bytes allowed; `limit + 1` are read so a parser can tell it is too big. */
  limit: number;
  /** Total time for the body, per attempt. */
  timeoutMs: number;
  /** Attempts after the first. */
  retries: number;
  sleep: (ms: number) => Promise<void>;
  /** Told before each wait. */
  onRetry?: (message: string) => void;
}

/**
 * See the module doc.
 * @returns the answer (its body consumed) and at most `limit + 1` bytes
 * @throws {SregistryError} when the declared size is over `limit`, or the
 *   body failed on every attempt (the message names the phase and the bound)
 */
export async function getSmallDocument(
  o: SmallDocumentOptions,
): Promise<{ res: Response; bytes: Uint8Array }> {
  for (let attempt = 1;; attempt++) {
    const res = await o.get();
    const declared = Number(res.headers.get("content-length") ?? 0);
    if (declared > o.limit) {
      await res.body?.cancel();
      throw new SregistryError(
        `Cannot ${o.action}: it is ${declared} bytes, more than ${o.limit}: this is not ${o.what}`,
      );
    }
    try {
      const bytes = await readLimited(res, o.limit + 1, { timeoutMs: o.timeoutMs, url: o.url });
      return { res, bytes };
    } catch (e) {
      if (attempt > o.retries) throw networkError(e, o.url, o.action);
      const delayMs = Math.min(30_000, 500 * 2 ** (attempt - 1));
      const why = findTimeout(e) ? "the body timed out" : "the body broke off";
      o.onRetry?.(
        `retrying ${safeUrl(o.url)} in ${delayMs / 1000} s (${why}, attempt ${attempt})`,
      );
      await o.sleep(delayMs);
    }
  }
}
