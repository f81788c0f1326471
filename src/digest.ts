/**
 * Content digests: validation (go-digest rules, sha256 only) and streaming
 * verification against the digest and size that were asked for.
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { DigestMismatchError } from "./errors.ts";

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
  #hash: Hash = createHash("sha256");
  #bytes = 0;

  /**
   * @param expected The digest asked for.
   * @param expectedSize The descriptor size, when known.
   * @param what What is verified, for messages ("layer sha256:...").
   * @throws {SyntaxError} When `expected` is not a valid digest.
   * @throws {RangeError} When `expectedSize` is not a non-negative integer.
   */
  constructor(expected: string, expectedSize?: number, what?: string) {
    parseDigest(expected);
    if (expectedSize !== undefined && !(Number.isSafeInteger(expectedSize) && expectedSize >= 0)) {
      throw new RangeError(`expected size must be a non-negative integer, got ${expectedSize}`);
    }
    this.expected = expected;
    this.expectedSize = expectedSize;
    this.what = what ?? `blob ${expected}`;
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
      throw new DigestMismatchError(
        `${this.expectedSize} bytes`,
        `at least ${this.#bytes} bytes`,
        this.what,
      );
    }
    this.#hash.update(chunk);
  }

  /**
   * Checks size then digest of everything hashed. Call once, at the end.
   * @throws {DigestMismatchError} On a size or digest mismatch.
   */
  verify(): void {
    if (this.expectedSize !== undefined && this.#bytes !== this.expectedSize) {
      throw new DigestMismatchError(
        `${this.expectedSize} bytes`,
        `${this.#bytes} bytes`,
        this.what,
      );
    }
    const actual = "sha256:" + this.#hash.digest("hex");
    if (actual !== this.expected) throw new DigestMismatchError(this.expected, actual, this.what);
  }
}
