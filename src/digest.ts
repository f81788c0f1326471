/**
 * Content digests: validation (go-digest rules, sha256 only) and streaming
 * verification against the digest and size that were asked for.
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { type DigestFault, DigestMismatchError } from "./errors.ts";

/** A parsed digest. */
export interface ParsedDigest {
  algorithm: "sha256";
  hex: string;
}

/**
 * Parses `sha256:<64 lower-case hex>`.
 * @throws {SyntaxError} On a malformed digest or another algorithm.
 * @example
 * ```ts
 * import { parseDigest } from "./digest.ts";
 * parseDigest("sha256:" + "0".repeat(64));
 * ```
 */
export function parseDigest(s: string): ParsedDigest {
  if (typeof s !== "string") throw new TypeError("parseDigest() needs a string");
  const colon = s.indexOf(":");
  if (colon <= 0 || colon === s.length - 1) {
    throw new SyntaxError(`Cannot parse digest ${JSON.stringify(s)}: invalid digest format`);
  }
  const algorithm = s.slice(0, colon);
  const hex = s.slice(colon + 1);
  if (algorithm !== "sha256") {
    const generic = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(s);
    throw new SyntaxError(
      `Cannot parse digest ${JSON.stringify(s)}: ${
        generic ? "unsupported digest algorithm" : "invalid digest format"
      }`,
    );
  }
  if (hex.length !== 64) {
    throw new SyntaxError(
      `Cannot parse digest ${JSON.stringify(s)}: invalid checksum digest length`,
    );
  }
  if (!/^[a-f0-9]{64}$/.test(hex)) {
    throw new SyntaxError(
      `Cannot parse digest ${JSON.stringify(s)}: invalid checksum digest format`,
    );
  }
  return { algorithm: "sha256", hex };
}

/** True when `s` is a valid sha256 digest. */
export function isDigest(s: string): boolean {
  try {
    parseDigest(s);
    return true;
  } catch {
    return false;
  }
}

/** `sha256:<hex>` of bytes. */
export function sha256Digest(bytes: Uint8Array): string {
  return "sha256:" + createHash("sha256").update(bytes).digest("hex");
}

/**
 * Hashes content as it streams and checks it against the expected digest
 * and size. `update()` fails early once more bytes than expected arrived.
 *
 * To resume a download, the verifier must see the bytes already kept: feed
 * them with {@linkcode DigestVerifier.resume} (node:crypto cannot restore a
 * hash state).
 * @example
 * ```ts
 * import { DigestVerifier, sha256Digest } from "./digest.ts";
 * const data = new TextEncoder().encode("hi");
 * const v = new DigestVerifier(sha256Digest(data), 2);
 * v.update(data);
 * v.verify();
 * ```
 */
export class DigestVerifier {
  readonly expected: string;
  readonly expectedSize?: number;
  readonly what: string;
  readonly fault?: DigestFault;
  #hash: Hash = createHash("sha256");
  #bytes = 0;

  /**
   * @param expected The digest asked for.
   * @param expectedSize The descriptor size, when known.
   * @param what What is verified, for messages ("layer sha256:...").
   * @param fault Who is to blame for a mismatch, which decides what the message tells to do
   *   (default `transfer`: pull again).
   * @throws {SyntaxError} When `expected` is not a valid digest.
   * @throws {RangeError} When `expectedSize` is not a non-negative integer.
   */
  constructor(expected: string, expectedSize?: number, what?: string, fault?: DigestFault) {
    parseDigest(expected);
    if (expectedSize !== undefined && !(Number.isSafeInteger(expectedSize) && expectedSize >= 0)) {
      throw new RangeError(`expected size must be a non-negative integer, got ${expectedSize}`);
    }
    this.expected = expected;
    this.expectedSize = expectedSize;
    this.what = what ?? `blob ${expected}`;
    this.fault = fault;
  }

  /**
   * A verifier that has already hashed the prefix read from `prefix` (for
   * example a `.partial` file), to continue a download after it.
   */
  static async resume(
    expected: string,
    prefix: ReadableStream<Uint8Array>,
    options: { expectedSize?: number; what?: string } = {},
  ): Promise<DigestVerifier> {
    const v = new DigestVerifier(expected, options.expectedSize, options.what);
    for await (const chunk of prefix) v.update(chunk);
    return v;
  }

  /** Bytes hashed so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Hashes a chunk.
   * @throws {DigestMismatchError} When more bytes than the expected size arrived.
   */
  update(chunk: Uint8Array): void {
    this.#bytes += chunk.length;
    if (this.expectedSize !== undefined && this.#bytes > this.expectedSize) {
      throw this.#mismatch(`${this.expectedSize} bytes`, `at least ${this.#bytes} bytes`);
    }
    this.#hash.update(chunk);
  }

  /**
   * Checks size then digest of everything hashed. Call once, at the end.
   * @throws {DigestMismatchError} On a size or digest mismatch.
   */
  verify(): void {
    if (this.expectedSize !== undefined && this.#bytes !== this.expectedSize) {
      throw this.#mismatch(`${this.expectedSize} bytes`, `${this.#bytes} bytes`);
    }
    const actual = "sha256:" + this.#hash.digest("hex");
    if (actual !== this.expected) {
      throw this.#mismatch(this.expected, actual);
    }
  }

  #mismatch(expected: string, actual: string): DigestMismatchError {
    return new DigestMismatchError({ expected, actual, what: this.what, fault: this.fault });
  }
}

/** Options of {@linkcode verifyingStream}. */
export interface VerifyingOptions {
  /** The expected size in bytes (a descriptor's `size`), when known. */
  size?: number;
  /** What is verified, for messages ("layer 2 of busybox (diff ID)"). */
  what?: string;
  /** Who is to blame for a mismatch, for the message (default `transfer`: pull again). */
  fault?: DigestFault;
  /**
   * When the reader cancels before the end (a tar reader stops at the
   * end-of-archive marker), read and hash the rest of `source` so that
   * `verified` still settles (default true). With false, `verified` rejects.
   */
  drain?: boolean;
}

/** A stream passed through a verifier, and the verdict on all of its bytes. */
export interface VerifyingStream {
  /** The bytes of the source, unchanged; errors at its end on a digest or size mismatch. */
  stream: ReadableStream<Uint8Array>;
  /**
   * Resolves once every byte of the source was hashed and matched the digest
   * (and size); rejects with {@linkcode DigestMismatchError}, or with the
   * source's own error. Settles even when the reader stops early (see
   * `drain`). Awaiting it is the only way to know content was checked, since
   * a reader may never reach the end of the stream.
   */
  verified: Promise<void>;
}

/**
 * The one verifying stream of the project: hashes `source` as it is read and
 * checks it against `expected` (`sha256:<hex>`) and `options.size`, as
 * go-containerregistry's `internal/verify` does. A wrong size errors as soon
 * as too many bytes arrive; a wrong digest at the end of the stream. Readers
 * that may stop early must await `verified` before they trust what they built.
 * @throws {SyntaxError} When `expected` is not a valid sha256 digest.
 * @example
 * ```ts
 * import { sha256Digest, verifyingStream } from "./digest.ts";
 * const bytes = new TextEncoder().encode("hi");
 * const { stream, verified } = verifyingStream(new Blob([bytes]).stream(), sha256Digest(bytes));
 * await new Response(stream).arrayBuffer();
 * await verified;
 * ```
 */
export function verifyingStream(
  source: ReadableStream<Uint8Array>,
  expected: string,
  options: VerifyingOptions = {},
): VerifyingStream {
  const verifier = new DigestVerifier(expected, options.size, options.what, options.fault);
  const outcome = Promise.withResolvers<void>();
  outcome.promise.catch(() => {}); // a verdict nobody awaits must not crash the process
  const reader = source.getReader();
  let settled = false;
  const settle = (error?: unknown) => {
    if (settled) return;
    settled = true;
    if (error === undefined) outcome.resolve();
    else outcome.reject(error);
  };
  /** Reads one chunk into the verifier; returns it, or undefined at the verified end. */
  const step = async (): Promise<Uint8Array | undefined> => {
    const { done, value } = await reader.read();
    if (done) {
      verifier.verify();
      settle();
      return undefined;
    }
    verifier.update(value);
    return value;
  };
  const drain = async () => {
    try {
      while (await step() !== undefined) { /* hashing the rest */ }
    } catch (e) {
      settle(e);
    } finally {
      reader.releaseLock();
    }
  };
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await step();
        if (chunk === undefined) controller.close();
        else controller.enqueue(chunk);
      } catch (e) {
        settle(e);
        reader.cancel(e).catch(() => {});
        controller.error(e);
      }
    },
    cancel(reason) {
      if (settled) return reader.cancel(reason).catch(() => {});
      if (options.drain === false) {
        settle(new Error(`${verifier.what} was not read to its end, so it is not verified`));
        return reader.cancel(reason).catch(() => {});
      }
      void drain();
      return Promise.resolve();
    },
  }, { highWaterMark: 0 });
  return { stream, verified: outcome.promise };
}
