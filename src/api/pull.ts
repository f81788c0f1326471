/**
 * One pull as the CLI and scripts run it: the source the user named (registry
 * reference, `oci:`, `oci-archive:`, `docker-archive:`, or the offline cache),
 * a work folder under the temp folder, and the pull pipeline with the
 * session's settings, catalogue and blob cache.
 * @module
 */
import { basename, join, resolve } from "node:path";
import type { BuilderName } from "../builders/builder.ts";
import { UnauthorizedError, UsageError } from "../errors.ts";
import type { Reference } from "../reference.ts";
import { pull, type PullResult } from "../pull/pull.ts";
import type { PullEvent, PullListener } from "../pull/events.ts";
import { openSource } from "../sources/open.ts";
import { temporaryDir } from "../store/work_dirs.ts";
import { parsePlatform, type Platform } from "../image/platform.ts";
import { defaultNoCacheName, storageNames } from "../store/storage_paths.ts";
import type { Session } from "./session.ts";
import { BlobCache } from "../store/blob_cache.ts";
import { cacheWriteRefusal } from "../store/cache_writable.ts";
import { checkFolderSettings, type FolderSetting } from "./folder_settings.ts";
import { checkScheme, normalizeSource } from "./schemes.ts";

/** What `pull` takes besides the reference; every field optional. */
export interface PullOptions {
  /** Write the SIF to this file (and record that path); relative to `dir` when both are given. */
  name?: string;
  /** Write the SIF into this folder (as `<image>_<tag>.sif` without `name`). */
  dir?: string;
  /** Rebuild even when the same image is already there. */
  force?: boolean;
  /** Do not record in the catalogue (and write to `name` or `./<image>_<tag>.sif`). */
  noCache?: boolean;
  /** Write only the root filesystem to this new folder (no SIF). */
  sandbox?: string;
  /** Build the SIF and keep the unpacked root filesystem in this new folder. */
  keepSandbox?: string;
  /** `os/arch[/variant]` or a parsed platform, for multi-platform images. */
  platform?: string | Platform;
  /** `auto` (default: native), `native`, `mksquashfs`, `apptainer` or `singularity`. */
  builder?: BuilderName;
  /** Squashfs compression; default the setting (gzip). lz4 and xz need `mksquashfs`. */
  compression?: "gzip" | "zstd" | "lz4" | "xz";
  /** Run apptainer/singularity build through sudo. */
  sudo?: boolean;
  /** Plain HTTP to the registry. */
  noHttps?: boolean;
  /** Layers downloaded at once; default `SREGISTRY_PYTHON_THREADS` (4). */
  jobs?: number;
  /** Only the blob cache; no network. */
  offline?: boolean;
  /** The reference a local source (`oci:`, archives) is recorded under. */
  reference?: string;
  /** False: stream layers without keeping them in the blob cache. */
  blobCache?: boolean;
  /** Progress events (layers, steps, warnings). */
  onEvent?: PullListener;
  /**
   * Stops the pull when aborted: the promise rejects with the signal's reason
   * (an `AbortError` by default) and the pull cleans up as after any failure
   * (work folders and the partial image removed, locks and pins released,
   * nothing recorded). A pull that finished before the abort was noticed
   * resolves as usual.
   */
  signal?: AbortSignal;
}

/**
 * Events that also check the signal: each one (a layer's progress, a step)
 * is a point where an aborted pull stops, by throwing the abort reason.
 */
function abortable(signal: AbortSignal | undefined, onEvent: PullListener | undefined) {
  if (!signal) return onEvent;
  return (e: PullEvent) => {
    signal.throwIfAborted();
    onEvent?.(e);
  };
}

function checkJobs(jobs: number): number {
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new UsageError(`Cannot pull: --jobs must be a positive whole number, not "${jobs}"`);
  }
  return jobs;
}

/**
 * The blob cache as this pull can use it: `writable` when it can be written
 * (a damaged `index.json` is set aside first, with a warning), else only
 * `readable`, with one note that nothing will be cached.
 */
async function usableCache(
  session: Session,
  wanted: boolean,
  onEvent: PullListener | undefined,
  signal: AbortSignal | undefined,
): Promise<{ writable?: BlobCache; readable?: BlobCache }> {
  if (!wanted) return {};
  let cache = session.blobCache();
  // Waits for another pull's blob lock end when the signal aborts.
  if (signal) cache = new BlobCache(cache.root, { signal });
  const refused = cacheWriteRefusal(cache.root);
  if (refused) {
    onEvent?.({
      kind: "warning",
      text:
        `the blob cache ${cache.root} cannot be written (${refused.path}: ${refused.reason}): layers already in it are read, nothing will be cached; set APPTAINER_CACHEDIR to a folder you can write to cache them`,
    });
    return { readable: cache };
  }
  const damaged = await cache.repairIndex();
  if (damaged) {
    onEvent?.({
      kind: "warning",
      text:
        `the blob cache's index.json was damaged (${damaged.reason}): set aside as ${damaged.aside}; a new one is started (tags are added back as images are pulled)`,
    });
  }
  return { writable: cache, readable: cache };
}

/** The folders this pull writes or reads, by the setting that chose each. */
function folderSettings(session: Session, options: PullOptions, cache: boolean): FolderSetting[] {
  const s = session.settings;
  const recorded = !options.noCache && !s.catalogueDisabled;
  const inStorage = recorded && options.name === undefined && options.dir === undefined &&
    options.sandbox === undefined;
  return [
    { path: s.tmpDir, variable: s.explicitTmpDir ? "SREGISTRY_TMPDIR" : "TMPDIR" },
    ...(recorded ? [{ path: s.databaseDir, variable: "SREGISTRY_DATABASE" }] : []),
    ...(inStorage ? [{ path: s.storageDir, variable: "SREGISTRY_STORAGE" }] : []),
    ...(cache ? [{ path: s.cacheDir, variable: "APPTAINER_CACHEDIR" }] : []),
    ...(options.dir !== undefined ? [{ path: resolve(options.dir), variable: "--dir" }] : []),
  ];
}

/**
 * Pulls `reference` with the session's settings.
 *
 * @param session the wiring (settings, catalogue, blob cache, registry client)
 * @param reference `busybox`, `docker://ghcr.io/o/i:1`, `oci:DIR[:TAG]`, ...
 * @param options see {@linkcode PullOptions}
 * @returns the SIF (or sandbox) path, the catalogue record, whether it was reused
 * @throws {UsageError} for bad options or a scheme sregistry does not pull
 *   (`library://`, `shub://`, `oras://`), {@linkcode ReferenceSyntaxError} for
 *   a malformed reference, {@linkcode RegistryError} and {@linkcode SregistryError}
 *   for failures
 */
export async function runPull(
  session: Session,
  reference: string,
  options: PullOptions = {},
): Promise<PullResult> {
  options.signal?.throwIfAborted();
  checkScheme(reference);
  reference = normalizeSource(reference);
  const settings = session.settings;
  const signal = options.signal;
  const onEvent = abortable(signal, options.onEvent);
  const jobs = checkJobs(options.jobs ?? settings.jobs);
  const offline = options.offline || settings.offline;
  const keepBlobs = !settings.layerCacheDisabled && options.blobCache !== false;
  checkFolderSettings(`pull ${reference}`, folderSettings(session, options, keepBlobs || offline));
  const cache = await usableCache(session, keepBlobs || offline, onEvent, signal);
  const catalogue = options.noCache ? undefined : session.catalogue();
  await using work = await temporaryDir(settings.tmpDir);
  const { source, ref, headDigest } = await openSource(reference, {
    client: () => session.registryClient({ noHttps: options.noHttps, onEvent, signal }),
    // A cache that can only be read still serves --offline pulls.
    cache: cache.writable ?? (offline ? cache.readable : undefined),
    workDir: () => Promise.resolve(work.path),
    offline,
    reference: options.reference,
  });
  const request = {
    ref,
    source,
    headDigest,
    platform: typeof options.platform === "string"
      ? parsePlatform(options.platform)
      : options.platform,
    sandbox: options.sandbox,
    keepSandbox: options.keepSandbox,
    name: outputName(options, ref),
    force: options.force,
    noCache: options.noCache,
    builder: options.builder,
    compression: options.compression ?? settings.compression,
    sudo: options.sudo,
  };
  const context = {
    cache: cache.writable,
    catalogue,
    storageDir: settings.storageDir,
    tmpDir: settings.tmpDir,
    explicitTmpDir: settings.explicitTmpDir,
    ramDir: session.env.XDG_RUNTIME_DIR || undefined,
    jobs,
    cmdOnly: settings.dockerCmd,
    maxLayerBytes: settings.maxLayerBytes,
    isRoot: Deno.uid() === 0,
    deterministic: session.env.SOURCE_DATE_EPOCH !== undefined,
    onEvent,
  };
  try {
    return await pull(request, context);
  } catch (e) {
    throw nameCredentialSource(session, e);
  }
}

/**
 * The file `name` and `dir` ask for, absolute (the catalogue records where
 * the file is, whatever folder the command ran in); undefined for storage.
 */
function outputName(options: PullOptions, ref: Reference): string | undefined {
  let name = options.name;
  if (options.dir !== undefined) {
    const names = storageNames(ref);
    name = join(options.dir, name ?? basename(defaultNoCacheName(names.name, names.tag)));
  }
  return name === undefined ? undefined : resolve(name);
}

/**
 * A registry's refusal of credentials that came from variables
 * (`SREGISTRY_DOCKERHUB_USERNAME`/`_PASSWORD`, ...) names those variables:
 * `sregistry login` alone would not help while they are set (they come
 * first). Other errors are returned as they are.
 */
function nameCredentialSource(session: Session, error: unknown): unknown {
  if (!(error instanceof UnauthorizedError)) return error;
  const fromVariables = [...session.credentialSources().values()]
    .find((source) => /^(SREGISTRY|SINGULARITY|APPTAINER)_/.test(source));
  if (!fromVariables) return error;
  error.message = error.message.replace(
    /: run `sregistry login [^`]*` with an account that may pull it, or check the name$/,
    "",
  ) +
    `: the user name and password came from ${fromVariables} (which come before \`sregistry login\`): check them, or unset them`;
  return error;
}
