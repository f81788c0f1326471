/**
 * The pull plan: what to pull and how, decided once from the request and the
 * context before any step runs, then frozen. Every step of `pull()` (reuse,
 * resolve and pin, download and build, record) reads its options here, so
 * `isRoot`, the compression, the deterministic time, the temp folders and the
 * listener each have one value and one way in.
 * @module
 */
import type { BuilderName } from "../builders/builder.ts";
import { type Compression, DEFAULT_LEVELS } from "../builders/mksquashfs.ts";
import type { Platform } from "../image/platform.ts";
import { clampTime } from "../layers/limits.ts";
import { formatReference, type Reference } from "../reference.ts";
import type { ImageSource } from "../sources/source.ts";
import type { BlobCache } from "../store/blob_cache.ts";
import type { Catalogue } from "../store/catalogue.ts";
import { defaultNoCacheName, storageNames } from "../store/storage_paths.ts";
import type { PullListener } from "./events.ts";

/** What to pull and how (the command's options). */
export interface PullRequest {
  ref: Reference;
  source: ImageSource;
  /** Asks the registry for the digest only (a HEAD), for the warm-pull check. */
  headDigest?: () => Promise<string | undefined>;
  platform?: Platform;
  /** `--sandbox DIR`: write only the root filesystem there. */
  sandbox?: string;
  /** `--name FILE`. */
  name?: string;
  force?: boolean;
  /** `--no-cache`: do not record in the catalogue. */
  noCache?: boolean;
  builder?: BuilderName;
  compression?: Compression;
  sudo?: boolean;
  /** `--keep-sandbox DIR`: also write the root filesystem into this new folder. */
  keepSandbox?: string;
}

/** Where things go and what to tell (the session's settings). */
export interface PullContext {
  cache?: BlobCache;
  catalogue?: Catalogue;
  storageDir: string;
  tmpDir: string;
  /**
   * The temp folder the user chose (SREGISTRY_TMPDIR); without it a SIF build
   * may unpack in `ramDir` when the image fits (see workspace.ts).
   */
  explicitTmpDir?: string;
  /** A RAM-backed folder to unpack in when the image fits (`$XDG_RUNTIME_DIR`). */
  ramDir?: string;
  jobs: number;
  cmdOnly?: boolean;
  maxLayerBytes?: number;
  /** Default: this process runs as root. */
  isRoot?: boolean;
  /** Reproducible output: SOURCE_DATE_EPOCH (else 0) for every time, nil SIF UUID. */
  deterministic?: boolean;
  onEvent?: PullListener;
}

/** One pull, decided: the request and the context with every default applied. Frozen. */
export interface PullPlan {
  readonly ref: Reference;
  /** `ref` as text: the events, the definition file's `From:` and the blob cache's tag. */
  readonly reference: string;
  readonly source: ImageSource;
  readonly headDigest?: () => Promise<string | undefined>;
  /** `--platform`, when given. */
  readonly platform?: Platform;
  readonly force: boolean;
  /** `--sandbox DIR`: only the root filesystem, no SIF, no record. */
  readonly sandbox?: string;
  /** `--keep-sandbox DIR`: the root filesystem too, beside the SIF. */
  readonly keepSandbox?: string;
  /** `--name FILE`. */
  readonly name?: string;
  /**
   * The file the user named (`--name`, or the `--no-cache` default
   * `./<image>_<tag>.sif`): never replaced unless sregistry wrote it or `force`.
   * Undefined for a sandbox and for a recorded image in storage.
   */
  readonly named?: string;
  /** The image gets a catalogue record (a catalogue, no `--no-cache`, no `--sandbox`). */
  readonly recording: boolean;
  readonly storageDir: string;
  /** `--builder`, "auto" when not given; chosen in the build step. */
  readonly builder: BuilderName;
  readonly compression: Compression;
  /** The compression level (undefined: mksquashfs's own, for lz4). */
  readonly level?: number;
  readonly sudo: boolean;
  /** Owners, devices and special files written as in the image (the process runs as root). */
  readonly isRoot: boolean;
  /** Seconds for every time in a reproducible image; undefined when not reproducible. */
  readonly deterministicTime?: number;
  readonly cache?: BlobCache;
  readonly catalogue?: Catalogue;
  /** Work folders go here (or in `ramDir`, see workspace.ts). */
  readonly tmpDir: string;
  readonly explicitTmpDir?: string;
  readonly ramDir?: string;
  /** Layers downloaded at once. */
  readonly jobs: number;
  readonly maxLayerBytes?: number;
  /** The runscript runs the image's CMD only (SREGISTRY_DOCKER_CMD). */
  readonly cmdOnly: boolean;
  readonly onEvent?: PullListener;
}

/**
 * The plan of one pull: `req` and `ctx` with every default applied (builder
 * "auto", gzip at its default level, root when the process runs as uid 0,
 * the deterministic time from SOURCE_DATE_EPOCH), frozen. Pure but for
 * reading the uid and SOURCE_DATE_EPOCH.
 */
export function planPull(req: PullRequest, ctx: PullContext): PullPlan {
  const recording = ctx.catalogue !== undefined && !req.noCache && !req.sandbox;
  const names = storageNames(req.ref);
  const compression = req.compression ?? "gzip";
  return Object.freeze({
    ref: req.ref,
    reference: formatReference(req.ref),
    source: req.source,
    headDigest: req.headDigest,
    platform: req.platform,
    force: req.force ?? false,
    sandbox: req.sandbox,
    keepSandbox: req.keepSandbox,
    name: req.name,
    named: req.sandbox
      ? undefined
      : req.name ?? (recording ? undefined : defaultNoCacheName(names.name, names.tag)),
    recording,
    storageDir: ctx.storageDir,
    builder: req.builder ?? "auto",
    compression,
    level: DEFAULT_LEVELS[compression],
    sudo: req.sudo ?? false,
    isRoot: ctx.isRoot ?? Deno.uid() === 0,
    deterministicTime: ctx.deterministic ? sourceDateEpoch() : undefined,
    cache: ctx.cache,
    catalogue: ctx.catalogue,
    tmpDir: ctx.tmpDir,
    explicitTmpDir: ctx.explicitTmpDir,
    ramDir: ctx.ramDir,
    jobs: ctx.jobs,
    maxLayerBytes: ctx.maxLayerBytes,
    cmdOnly: ctx.cmdOnly ?? false,
    onEvent: ctx.onEvent,
  });
}

/**
 * SOURCE_DATE_EPOCH when it is a whole number of seconds, else 0 (as
 * Apptainer), clamped to a squashfs time (u32 seconds, 2106-02-07) like the
 * layers' times, so every road and every file sregistry adds agree.
 */
function sourceDateEpoch(): number {
  const env = Number(Deno.env.get("SOURCE_DATE_EPOCH"));
  return Number.isInteger(env) && env >= 0 ? clampTime(env) : 0;
}
