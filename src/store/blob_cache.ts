/**
 * The content-addressed blob cache, laid out as an OCI image layout
 * (`oci-layout`, `index.json`, `blobs/sha256/<hex>`) so other tools (skopeo,
 * umoci) can read it. A blob appears under its final name only once verified:
 * it is written to `<hex>.<host>.<pid>.<n>.partial` (see `partialPath`), checked,
 * then renamed; `index.json` is rewritten with `writeFileAtomic`. One
 * lock per blob, held only while fetching, makes concurrent pulls download each
 * blob once; partial files and locks of dead processes are swept. A full disk
 * is reported as such, naming the cache and APPTAINER_CACHEDIR.
 * @module
 */
import { type DigestVerifier, sha256Digest, verifyingStream } from "../digest.ts";
import { DigestMismatchError, SregistryError } from "../errors.ts";
import { acquireLock, type LockOptions, type LockOwner, type LockWait } from "./locks.ts";
import { adoptKept, keepPartialDownloads, type Kept, trackPartial } from "./_blob_resume.ts";
import {
  cacheStoreError,
  hexOf,
  knownSize,
  removeUnreadable,
  sweepCacheFolder,
  writeStreamTo,
} from "./_blob_files.ts";
import { readCacheIndex, tagInCache } from "./_cache_index.ts";
import {
  type IndexEntry,
  initLayout,
  layoutBlobPath,
  type LayoutIndex,
  REF_NAME,
} from "./oci_layout.ts";
import { partialPath, writeFileAtomic } from "./atomic_file.ts";
import { BlobChecks, readVerified } from "./_blob_check.ts";

export { keepPartialDownloads };
export type { IndexEntry };

/** The fields of a descriptor the cache needs. */
export interface BlobRef {
  digest: string;
  size?: number;
  mediaType?: string;
}

/** Options of {@linkcode BlobCache.ensure}. */
export interface EnsureOptions {
  /** The stream `open()` returns verifies digest and size itself (errors otherwise). */
  verified?: boolean;
  /** `open()` can continue from a {@linkcode DigestVerifier} (see `ensure`). */
  resumable?: boolean;
  /** Called when another process holds the blob's lock, with its owner when readable. */
  onWait?: (owner: LockOwner | undefined, wait: LockWait) => void;
  /** Called when a cached copy was damaged (and removed), with why. */
  onDamaged?: (reason: string) => void;
  /** Called when a kept partial download is continued, with its size in bytes. */
  onResume?: (bytes: number) => void;
}

/** The blob cache rooted at `root` (created on first use). */
export class BlobCache {
  readonly root: string;
  readonly #lockOptions: LockOptions;
  readonly #checks = new BlobChecks();
  #ready = false;

  constructor(root: string, lockOptions: LockOptions = {}) {
    this.root = root;
    this.#lockOptions = lockOptions;
  }

  /** Creates the layout if missing. */
  init(): void {
    if (this.#ready) return;
    try {
      initLayout(this.root);
    } catch (e) {
      throw new SregistryError(
        `Cannot use the blob cache ${this.root}: ${
          (e as Error).message
        }: set APPTAINER_CACHEDIR to a writable folder`,
        { cause: e },
      );
    }
    this.#ready = true;
  }

  /** The final path of a blob. */
  blobPath(digest: string): string {
    hexOf(digest); // the cache holds sha256 blobs only
    return layoutBlobPath(this.root, digest);
  }

  /**
   * True when a file is present under the blob's final name, of the right
   * size when known. Cheap and unverified: a build must go through
   * {@linkcode BlobCache.ensure} and {@linkcode BlobCache.open}, which hash it.
   */
  has(blob: BlobRef): boolean {
    try {
      const info = Deno.statSync(this.blobPath(blob.digest));
      return blob.size === undefined || blob.size < 0 || info.size === blob.size;
    } catch {
      return false;
    }
  }

  /**
   * Reads a (small) blob whole, checking its digest.
   * @throws {DigestMismatchError} When the file's content is not the blob's
   * (the damaged file is removed, so fetching it again repairs the cache).
   * @throws {Deno.errors.NotFound} When the blob is not in the cache.
   */
  read(digest: string): Uint8Array {
    return readVerified(this.blobPath(digest), digest);
  }

  /**
   * The bytes of a cached blob, for building: the file is hashed first
   * (unless this process already verified this very file, see
   * `_blob_check.ts`), so nothing is built from a damaged copy.
   * @throws {DigestMismatchError} When the file is damaged (it is removed;
   * {@linkcode BlobCache.ensure} fetches it again).
   * @throws {Deno.errors.NotFound} When the blob is not in the cache.
   */
  open(blob: BlobRef): Promise<ReadableStream<Uint8Array>> {
    return this.#checks.open(this.blobPath(blob.digest), blob.digest, knownSize(blob));
  }

  /**
   * True when the blob is in the cache and verified (hashed now, or earlier
   * by this process); a damaged or unreadable copy is removed and `onDamaged`
   * told why.
   * @throws {SregistryError} When the copy cannot be read nor removed (see `removeUnreadable`).
   */
  async #present(blob: BlobRef, onDamaged?: (reason: string) => void): Promise<boolean> {
    const path = this.blobPath(blob.digest);
    if (this.#checks.trusted(blob.digest, path)) return true;
    let result;
    try {
      result = await this.#checks.check(path, blob.digest, knownSize(blob));
    } catch (e) {
      if (!(e instanceof Deno.errors.PermissionDenied)) throw e;
      // Unreadable (chmod 000, another user's file): removed and fetched again, when we may.
      removeUnreadable(path, e);
      onDamaged?.("it could not be read: permission denied");
      return false;
    }
    if (result.state === "damaged") onDamaged?.(result.reason);
    return result.state === "ok";
  }

  /** Stores bytes already in memory (manifests, configs) after checking their digest. */
  putBytes(blob: BlobRef, bytes: Uint8Array): void {
    this.init();
    const actual = sha256Digest(bytes);
    if (actual !== blob.digest) {
      throw new DigestMismatchError({ expected: blob.digest, actual, what: "blob" });
    }
    if (this.has(blob)) return;
    try {
      writeFileAtomic(this.blobPath(blob.digest), bytes);
    } catch (e) {
      throw cacheStoreError(this.root, blob.digest, e);
    }
  }

  /**
   * Makes sure the blob is in the cache, verified. A blob already there is
   * hashed (once per process and file, see `_blob_check.ts`); a damaged copy
   * is removed, `onDamaged` is told why, and it is fetched again. Otherwise,
   * holding the blob's lock, writes what `open()` streams to a partial file,
   * verifies digest and size (unless `verified`, when the stream itself
   * already verified them and errors otherwise), and renames it into place.
   *
   * With `resumable` (and `verified`), the partial file an interrupted pull
   * kept (see {@linkcode keepPartialDownloads}) is continued: `open` gets a
   * {@linkcode DigestVerifier} that has hashed the kept bytes and must stream
   * only the bytes after them (HTTP `Range`), verifying the whole blob at the
   * end; should that fail, the blob is fetched once more from its start.
   * @returns true when this call fetched the blob.
   * @throws {DigestMismatchError} From an unverified stream with other content.
   * @throws {SregistryError} On a full disk, naming the cache and APPTAINER_CACHEDIR.
   */
  async ensure(
    blob: BlobRef,
    open: (
      resume?: DigestVerifier,
    ) => ReadableStream<Uint8Array> | Promise<ReadableStream<Uint8Array>>,
    options: EnsureOptions = {},
  ): Promise<boolean> {
    this.init();
    if (await this.#present(blob, options.onDamaged)) return false;
    const final = this.blobPath(blob.digest);
    using _lock = await this.#lock(`${final}.lock`, options.onWait);
    // Another process may have fetched it while we waited.
    if (await this.#present(blob, options.onDamaged)) return false;
    const resume = options.resumable && options.verified
      ? await adoptKept(final, blob.digest, knownSize(blob))
      : undefined;
    try {
      await this.#fetch(blob, final, open, options, resume);
    } catch (e) {
      if (!(resume && e instanceof DigestMismatchError)) throw e;
      options.onDamaged?.(`the kept part of an interrupted download was not the blob's`);
      await this.#fetch(blob, final, open, options, undefined);
    }
    this.#checks.trust(blob.digest, final);
    return true;
  }

  async #lock(path: string, onWait?: EnsureOptions["onWait"]) {
    try {
      return await acquireLock(path, {
        ...this.#lockOptions,
        onWait: onWait ?? this.#lockOptions.onWait,
      });
    } catch (e) {
      throw cacheStoreError(this.root, path, e);
    }
  }

  /** Downloads into a partial file (continuing `resume.path`) and renames it into place. */
  async #fetch(
    blob: BlobRef,
    final: string,
    open: (
      resume?: DigestVerifier,
    ) => ReadableStream<Uint8Array> | Promise<ReadableStream<Uint8Array>>,
    options: EnsureOptions,
    resume: Kept | undefined,
  ): Promise<void> {
    const tmp = resume?.path ?? partialPath(final);
    let file: Deno.FsFile;
    try {
      file = resume
        ? Deno.openSync(tmp, { append: true })
        : Deno.openSync(tmp, { createNew: true, write: true, mode: 0o644 });
    } catch (e) {
      throw cacheStoreError(this.root, blob.digest, e);
    }
    if (options.resumable && options.verified) trackPartial(tmp, final);
    try {
      if (resume) options.onResume?.(resume.verifier.bytes);
      const source = await open(resume?.verifier);
      const input = options.verified
        ? source
        : verifyingStream(source, blob.digest, { size: knownSize(blob) }).stream;
      await writeStreamTo(file, input);
      Deno.renameSync(tmp, final);
    } catch (e) {
      try {
        Deno.removeSync(tmp);
      } catch { /* gone, or kept by keepPartialDownloads */ }
      throw cacheStoreError(this.root, blob.digest, e);
    } finally {
      trackPartial(tmp);
    }
  }

  /**
   * Reads `index.json` (empty when absent or unreadable).
   * @throws {DocumentError} when it is not an OCI index
   */
  index(): LayoutIndex {
    return readCacheIndex(this.root);
  }

  /** Points the reference name `name` at a manifest or index (replacing an older entry). */
  async tag(name: string, entry: IndexEntry): Promise<void> {
    this.init();
    await tagInCache(this.root, name, entry, this.#lockOptions);
  }

  /** The manifest a reference name points at, if tagged. */
  lookup(name: string): IndexEntry | undefined {
    return this.index().manifests.find((m) => m.annotations?.[REF_NAME] === name);
  }

  /**
   * Removes partial files left by dead processes on this host (or older than a
   * day), kept partial downloads older than a week, and locks whose owner is
   * dead (see `lockIsStale`).
   * @returns how many files were removed.
   */
  sweep(): number {
    return sweepCacheFolder(this.root, this.#lockOptions.staleMs ?? 10 * 60_000);
  }
}
