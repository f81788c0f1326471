/**
 * Checking a blob already in the cache before it is used again: its file is
 * hashed whole (sha256, about 1 GB/s) the first time this process reads it,
 * and the verdict is remembered for that file (device, inode, size, mtime), so
 * a layer checked before its download is skipped and then opened to build is
 * hashed once, while a file replaced or rewritten meanwhile is hashed again. A size check
 * alone, as before, let a changed byte through into every later build.
 * @module
 */
import { sha256Digest, verifyingStream } from "../digest.ts";
import { DigestMismatchError } from "../errors.ts";
import { damagedError } from "./_blob_files.ts";

/**
 * Reads a (small) cached blob whole, checking its digest.
 * @throws {DigestMismatchError} When the file's content is not the blob's
 * (the damaged file is removed, so fetching it again repairs the cache).
 * @throws {Deno.errors.NotFound} When the file is missing.
 */
export function readVerified(path: string, digest: string): Uint8Array {
  const bytes = Deno.readFileSync(path);
  const actual = sha256Digest(bytes);
  if (actual === digest) return bytes;
  try {
    Deno.removeSync(path);
  } catch { /* gone */ }
  throw damagedError(digest, actual, path);
}

/** What identifies one version of a file. */
function identity(info: Deno.FileInfo): string {
  return `${info.dev}:${info.ino}:${info.size}:${info.mtime?.getTime() ?? 0}`;
}

/** The outcome of {@linkcode BlobChecks.check}. */
export type CheckResult =
  | { state: "ok" }
  | { state: "missing" }
  /** The file was there with other content; it has been removed. */
  | { state: "damaged"; reason: string };

/** Verdicts on cached blob files, per process. */
export class BlobChecks {
  readonly #verified = new Map<string, string>();

  /** Remembers that `path` (just written and verified) holds `digest`. */
  trust(digest: string, path: string): void {
    try {
      this.#verified.set(digest, identity(Deno.statSync(path)));
    } catch { /* gone: nothing to remember */ }
  }

  /** True when `path` is the very file already verified to hold `digest`. */
  trusted(digest: string, path: string): boolean {
    try {
      return this.#verified.get(digest) === identity(Deno.statSync(path));
    } catch {
      return false;
    }
  }

  /**
   * The bytes of the cached blob file at `path`, for building: hashed first
   * unless this very file was verified by this process.
   * @throws {DigestMismatchError} When the file is damaged (it is removed).
   * @throws {Deno.errors.NotFound} When the file is missing.
   */
  async open(path: string, digest: string, size?: number): Promise<ReadableStream<Uint8Array>> {
    if (!this.trusted(digest, path)) {
      const result = await this.check(path, digest, size);
      if (result.state === "missing") throw new Deno.errors.NotFound(`${path} is not in the cache`);
      if (result.state === "damaged") throw damagedError(digest, result.reason, path);
    }
    return (await Deno.open(path)).readable;
  }

  /**
   * Verifies the blob file at `path` against `digest` and `size` (when
   * known); a file with other content is removed (unless it was replaced
   * while being hashed).
   * @throws The read error of an unreadable file (not a mismatch).
   */
  async check(path: string, digest: string, size?: number): Promise<CheckResult> {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(path);
    } catch {
      return { state: "missing" };
    }
    if (this.#verified.get(digest) === identity(info)) return { state: "ok" };
    let reason: string | undefined;
    if (size !== undefined && size >= 0 && info.size !== size) {
      reason = `${info.size} bytes instead of ${size}`;
    } else {
      const file = await Deno.open(path); // its readable closes it
      const { stream, verified } = verifyingStream(file.readable, digest, { size });
      try {
        for await (const _ of stream) { /* hashing */ }
        await verified;
      } catch (e) {
        if (!(e instanceof DigestMismatchError)) throw e;
        reason = `its content hashes to ${e.actual}`;
      }
    }
    if (reason === undefined) {
      this.#verified.set(digest, identity(info));
      return { state: "ok" };
    }
    this.#verified.delete(digest);
    try {
      const now = Deno.statSync(path);
      if (now.ino === info.ino && now.dev === info.dev) Deno.removeSync(path);
    } catch { /* gone already */ }
    return { state: "damaged", reason };
  }
}
