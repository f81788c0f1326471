/**
 * A verified, resuming blob stream: hashes every byte, resumes a cut or
 * stalled connection with `Range` from the bytes already delivered (dropping
 * the prefix when a server ignores `Range`, so nothing is delivered twice),
 * and errors with `DigestMismatchError` on a wrong digest or size. A blob of
 * another size than its descriptor (the `Content-Length` of a whole answer,
 * the total of a `Content-Range`, or a body that ended cleanly and a resume
 * refused with 416) is the `descriptor` fault, at once, with no resume.
 * @module
 */
import { DigestVerifier } from "../digest.ts";
import { DigestMismatchError, RegistryError, SregistryError } from "../errors.ts";
import { defaultSleep } from "./transport.ts";
import { seconds } from "./deadline.ts";

/** Options of {@linkcode verifiedBlobStream}. */
export interface BlobStreamOptions {
  /** Opens the blob from `offset` (Range when > 0); throws SregistryError on fatal answers. */
  open: (offset: number, signal: AbortSignal) => Promise<Response>;
  digest: string;
  /** Expected size, or undefined when unknown (schema1). */
  size?: number;
  what: string;
  /** Abort and resume a body that delivers nothing for this long (default 60 s). */
  stallTimeoutMs?: number;
  /**
   * A total bound for a small blob (a config): each attempt must deliver the
   * whole blob within this long, else it is aborted and resumed.
   */
  totalTimeoutMs?: number;
  /** Resumes in a row without progress before giving up (default 5). */
  retries?: number;
  onProgress?: (bytes: number) => void;
  onResume?: (info: { offset: number; attempt: number; reason: string }) => void;
  /**
   * Continue a download kept by an earlier run: a verifier that has hashed
   * the bytes already kept; the stream starts after them (with `Range`).
   */
  resume?: DigestVerifier;
  sleep?: (ms: number) => Promise<void>;
}

/** A body that broke off: cut, stalled, or ended short. Retried. */
class Interrupted extends Error {}

/** Parses the first byte of `Content-Range: bytes a-b/n`. */
function rangeStart(value: string | null): number | undefined {
  const m = /^bytes\s+(\d+)-/.exec(value ?? "");
  return m ? Number(m[1]) : undefined;
}

/**
 * The whole blob's length a response announces: the total of
 * `Content-Range: bytes a-b/N`, else the `Content-Length` of a 200 answer
 * without `Content-Encoding`; undefined when unknown.
 */
function blobLength(res: Response): number | undefined {
  const range = /\/(\d+)\s*$/.exec(res.headers.get("content-range") ?? "");
  if (res.status === 206) return range ? Number(range[1]) : undefined;
  const length = res.headers.get("content-length");
  if (res.status !== 200 || res.headers.get("content-encoding") || !length) return undefined;
  return /^\d+$/.test(length.trim()) ? Number(length) : undefined;
}

/** Reads one chunk, failing with Interrupted when nothing comes for `ms`. */
async function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  ms: number,
  why = `no data for ${seconds(ms)} (SREGISTRY_TIMEOUT)`,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stall = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Interrupted(why)), ms);
  });
  try {
    return await Promise.race([reader.read(), stall]);
  } catch (e) {
    if (e instanceof Interrupted) throw e;
    throw new Interrupted(`connection cut (${(e as Error)?.message ?? e})`);
  } finally {
    clearTimeout(timer);
  }
}

/** See the module doc. */
export function verifiedBlobStream(o: BlobStreamOptions): ReadableStream<Uint8Array> {
  const verifier = o.resume ?? new DigestVerifier(o.digest, o.size, o.what);
  const stallMs = o.stallTimeoutMs ?? 60_000;
  const retries = o.retries ?? 5;
  const sleep = o.sleep ?? defaultSleep;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  /** When the current attempt must be complete (totalTimeoutMs). */
  let deadline = Infinity;
  let abort = new AbortController();
  let skip = 0;
  let failures = 0;
  let cancelled = false;

  /** True after a body ended cleanly before the descriptor's size. */
  let endedShort = false;

  /** The descriptor fault: the registry's blob is `actual` bytes, the descriptor says `o.size`. */
  function wrongSize(actual: string): DigestMismatchError {
    return new DigestMismatchError({
      expected: `${o.size} bytes`,
      actual,
      what: o.what,
      fault: "descriptor",
    });
  }

  async function open(offset: number): Promise<Response> {
    try {
      return await o.open(offset, abort.signal);
    } catch (e) {
      if (endedShort && e instanceof RegistryError && e.status === 416) {
        throw wrongSize(`${offset} bytes and has no more`);
      }
      throw e;
    }
  }

  async function connect(): Promise<void> {
    abort = new AbortController();
    const offset = verifier.bytes;
    const res = await open(offset);
    skip = 0;
    const total = blobLength(res);
    if (o.size !== undefined && total !== undefined && total !== o.size) {
      await res.body?.cancel();
      throw wrongSize(`${total} bytes`);
    }
    if (offset > 0) {
      const start = res.status === 206 ? rangeStart(res.headers.get("content-range")) : 0;
      if (start === undefined || start > offset) {
        await res.body?.cancel();
        throw new SregistryError(
          `Cannot download ${o.what}: the server answered a range we did not ask for: pull again`,
        );
      }
      skip = offset - start;
    }
    if (!res.body) throw new Interrupted("empty body");
    reader = res.body.getReader();
    if (o.totalTimeoutMs) deadline = Date.now() + o.totalTimeoutMs;
  }

  function drop(): void {
    reader?.cancel().catch(() => {});
    reader = undefined;
    abort.abort();
  }

  /** One step: a chunk to deliver, "done", or undefined to read again. */
  async function step(): Promise<Uint8Array | "done" | undefined> {
    if (!reader) await connect();
    const left = deadline - Date.now();
    const r = left < stallMs
      ? await readWithin(
        reader!,
        Math.max(0, left),
        `not complete within ${seconds(o.totalTimeoutMs!)} (SREGISTRY_TIMEOUT)`,
      )
      : await readWithin(reader!, stallMs);
    if (r.done) {
      if (o.size !== undefined && verifier.bytes < o.size) {
        endedShort = true;
        throw new Interrupted(`body ended after ${verifier.bytes} of ${o.size} bytes`);
      }
      reader = undefined;
      verifier.verify();
      return "done";
    }
    let chunk = r.value;
    if (skip > 0) {
      const n = Math.min(skip, chunk.length);
      skip -= n;
      chunk = chunk.subarray(n);
    }
    if (chunk.length === 0) return undefined;
    verifier.update(chunk);
    // A trickle makes progress forever: under a total bound, progress does not reset the count.
    if (!o.totalTimeoutMs) failures = 0;
    return chunk;
  }

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        try {
          const out = await step();
          if (out === undefined) continue;
          if (out === "done") return controller.close();
          o.onProgress?.(verifier.bytes);
          return controller.enqueue(out);
        } catch (e) {
          drop();
          if (cancelled) return; // the reader gave up: no resume
          if (!(e instanceof Interrupted) || ++failures > retries) {
            return controller.error(
              e instanceof Interrupted
                ? new SregistryError(
                  `Cannot download ${o.what}: ${e.message}, ${retries} resumes failed: check your connection and pull again`,
                  { cause: e },
                )
                : e,
            );
          }
          o.onResume?.({ offset: verifier.bytes, attempt: failures, reason: e.message });
          await sleep(Math.min(30_000, 500 * 2 ** (failures - 1)));
        }
      }
    },
    cancel(reason) {
      cancelled = true;
      reader?.cancel(reason).catch(() => {});
      abort.abort();
    },
  });
}
