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
import { hostname } from "node:os";
import { DigestVerifier, sha256Digest } from "../digest.ts";
import { parseDocument } from "../document.ts";
import { DigestMismatchError, SregistryError } from "../errors.ts";
import { CacheIndexSchema } from "./_schemas.ts";
import { acquireLock, type LockOptions, processAlive, removeStaleLock, withLock } from "./locks.ts";
import { partialPath, writeFileAtomic } from "./atomic_file.ts";

/** The fields of a descriptor the cache needs. */
export interface BlobRef {
  digest: string;
  size?: number;
  mediaType?: string;
}

/** An entry of the layout's `index.json`. */
export interface IndexEntry {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

const REF_NAME = "org.opencontainers.image.ref.name";
const HOST = hostname();

/** True when `error` (or one of its causes) is ENOSPC or EDQUOT: the disk or quota is full. */
export function isNoSpace(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (/os error (28|122)\b|ENOSPC|EDQUOT|no space left|quota exceeded/i.test(e.message)) {
      return true;
    }
  }
  return false;
}

function hexOf(digest: string): string {
  const match = /^sha256:([a-f0-9]{64})$/.exec(digest);
  if (!match) {
    throw new SyntaxError(`Cannot use digest "${digest}": only sha256 digests are supported`);
  }
  return match[1];
}

/** The blob cache rooted at `root` (created on first use). */
export class BlobCache {
  readonly root: string;
  readonly #lockOptions: LockOptions;
  #ready = false;

  constructor(root: string, lockOptions: LockOptions = {}) {
    this.root = root;
    this.#lockOptions = lockOptions;
  }

  /** Creates the layout if missing. */
  init(): void {
    if (this.#ready) return;
    try {
      Deno.mkdirSync(`${this.root}/blobs/sha256`, { recursive: true });
      try {
        Deno.statSync(`${this.root}/oci-layout`);
      } catch {
        writeFileAtomic(`${this.root}/oci-layout`, '{"imageLayoutVersion":"1.0.0"}');
      }
      try {
        Deno.statSync(`${this.root}/index.json`);
      } catch {
        writeFileAtomic(`${this.root}/index.json`, JSON.stringify(emptyIndex()));
      }
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
    return `${this.root}/blobs/sha256/${hexOf(digest)}`;
  }

  /** True when the verified blob is present (and of the right size when known). */
  has(blob: BlobRef): boolean {
    try {
      const info = Deno.statSync(this.blobPath(blob.digest));
      return blob.size === undefined || blob.size < 0 || info.size === blob.size;
    } catch {
      return false;
    }
  }

  /** Reads a (small) blob whole. */
  read(digest: string): Uint8Array {
    return Deno.readFileSync(this.blobPath(digest));
  }

  /** Stores bytes already in memory (manifests, configs) after checking their digest. */
  putBytes(blob: BlobRef, bytes: Uint8Array): void {
    this.init();
    const actual = sha256Digest(bytes);
    if (actual !== blob.digest) throw new DigestMismatchError(blob.digest, actual, "blob");
    if (this.has(blob)) return;
    try {
      writeFileAtomic(this.blobPath(blob.digest), bytes);
    } catch (e) {
      throw this.#storeError(blob.digest, e);
    }
  }

  /** A full disk becomes a clear error naming the cache; anything else is kept as it is. */
  #storeError(what: string, e: unknown): unknown {
    if (!isNoSpace(e)) return e;
    return new SregistryError(
      `Cannot store ${what} in the blob cache ${this.root}: no space left on device (or quota exceeded): ` +
        `free space there or set APPTAINER_CACHEDIR to a folder with more room`,
      { cause: e },
    );
  }

  /**
   * Makes sure the blob is in the cache: returns at once when it is; otherwise,
   * holding the blob's lock, writes what `open()` streams to a partial file,
   * verifies digest and size (unless `verified`, when the stream itself already
   * verified them and errors otherwise), and renames it into place.
   * Returns true when this call downloaded it.
   */
  async ensure(
    blob: BlobRef,
    open: () => ReadableStream<Uint8Array> | Promise<ReadableStream<Uint8Array>>,
    options: { verified?: boolean; onWait?: () => void } = {},
  ): Promise<boolean> {
    this.init();
    if (this.has(blob)) return false;
    const final = this.blobPath(blob.digest);
    using _lock = await acquireLock(`${final}.lock`, {
      ...this.#lockOptions,
      onWait: () => options.onWait?.(),
    });
    if (this.has(blob)) return false; // another process fetched it while we waited
    const tmp = partialPath(final);
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(tmp, { createNew: true, write: true, mode: 0o644 });
    } catch (e) {
      throw this.#storeError(blob.digest, e);
    }
    const size = blob.size !== undefined && blob.size >= 0 ? blob.size : undefined;
    const verifier = options.verified ? undefined : new DigestVerifier(blob.digest, size);
    try {
      for await (const chunk of await open()) {
        verifier?.update(chunk);
        writeAllSync(file, chunk);
      }
      file.close();
      verifier?.verify();
      Deno.renameSync(tmp, final);
      return true;
    } catch (e) {
      try {
        file.close();
      } catch { /* closed */ }
      try {
        Deno.removeSync(tmp);
      } catch { /* gone */ }
      throw this.#storeError(blob.digest, e);
    }
  }

  /**
   * Reads `index.json` (empty when absent or unreadable).
   * @throws {DocumentError} when it is not an OCI index
   */
  index(): { schemaVersion: number; mediaType?: string; manifests: IndexEntry[] } {
    const path = `${this.root}/index.json`;
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(path);
    } catch {
      return emptyIndex();
    }
    return parseDocument(bytes, CacheIndexSchema, {
      kind: "cache-index",
      origin: path,
      fix:
        "move it away: the next pull writes a new one (--offline finds images again once pulled)",
    });
  }

  /** Points the reference name `name` at a manifest or index (replacing an older entry). */
  async tag(name: string, entry: IndexEntry): Promise<void> {
    this.init();
    await withLock(`${this.root}/index.json.lock`, () => {
      const index = this.index();
      index.manifests = index.manifests.filter((m) => m.annotations?.[REF_NAME] !== name);
      index.manifests.push({ ...entry, annotations: { ...entry.annotations, [REF_NAME]: name } });
      try {
        writeFileAtomic(`${this.root}/index.json`, JSON.stringify(index, null, 2));
      } catch (e) {
        throw this.#storeError(`the tag ${name}`, e);
      }
    }, this.#lockOptions);
  }

  /** The manifest a reference name points at, if tagged. */
  lookup(name: string): IndexEntry | undefined {
    return this.index().manifests.find((m) => m.annotations?.[REF_NAME] === name);
  }

  /**
   * Removes partial files left by dead processes on this host (or older than a
   * day), and locks whose owner is dead (see `lockIsStale`).
   * @returns how many files were removed.
   */
  sweep(): number {
    const staleMs = this.#lockOptions.staleMs ?? 10 * 60_000;
    let removed = 0;
    for (const dir of [`${this.root}/blobs/sha256`, this.root]) {
      let entries: Deno.DirEntry[];
      try {
        entries = [...Deno.readDirSync(dir)];
      } catch {
        continue;
      }
      for (const entry of entries) {
        const path = `${dir}/${entry.name}`;
        if (/^([a-f0-9]{64}|index\.json)\.lock(\.takeover)?$/.test(entry.name)) {
          if (removeStaleLock(path, staleMs)) removed++;
        } else if (sweepPartial(path, entry.name)) removed++;
      }
    }
    return removed;
  }
}

/** Removes `path` when it is the partial file of a dead process on this host, or older than a day. */
function sweepPartial(path: string, name: string): boolean {
  const m =
    /^(?:[a-f0-9]{64}|index\.json|oci-layout)(?:\.lock(?:\.takeover)?)?\.(.+)\.(\d+)\.\d+\.partial$/
      .exec(name);
  if (!m) return false;
  const deadHere = m[1] === HOST && !processAlive(Number(m[2]));
  let old = false;
  try {
    old = Date.now() - (Deno.statSync(path).mtime?.getTime() ?? 0) > 86_400_000;
  } catch { /* gone */ }
  if (!deadHere && !old) return false;
  try {
    Deno.removeSync(path);
    return true;
  } catch {
    return false; // gone
  }
}

function emptyIndex() {
  return {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [] as IndexEntry[],
  };
}

function writeAllSync(file: Deno.FsFile, chunk: Uint8Array): void {
  let offset = 0;
  while (offset < chunk.length) offset += file.writeSync(chunk.subarray(offset));
}
