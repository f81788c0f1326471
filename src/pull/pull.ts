/**
 * `sregistry pull`: from a reference to a registered SIF (or a sandbox).
 *
 * 1. A warm pull is one manifest HEAD: when the catalogue already holds the
 *    digest the reference resolves to, with its file present, nothing is built.
 * 2. Otherwise resolve, download layers into the blob cache while the layer
 *    engine applies them in order, add the Singularity metadata, build the SIF
 *    (natively, straight from the layers; or from a folder with another
 *    builder) to a temporary file beside its final path, then rename it and
 *    record it in one step: the record and the file appear together or not at all.
 *
 * Crash safety: a process killed at any point leaves only files a later pull
 * sweeps (work folders, partial blobs and SIFs, locks of dead pids) or, killed
 * between the rename and the commit, an image file without a record, which the
 * next pull of that image replaces or removes inside its own transaction.
 * A full disk is reported naming the folder and the variable that moves it.
 * @module
 */
import { SregistryError, UsageError } from "../errors.ts";
import { singularityMetadata } from "../sif/metadata.ts";
import { configPlatform, parseImageConfig } from "../image/config.ts";
import { type BuilderName, chooseBuilder } from "../builders/builder.ts";
import { which } from "../builders/command.ts";
import {
  checkImagePlatform,
  hostPlatform,
  normalizePlatform,
  type Platform,
  sameArchitecture,
} from "../image/platform.ts";
import { formatReference, type Reference } from "../reference.ts";
import type { BlobCache } from "../store/blob_cache.ts";
import { markUsed, recordBlobs, useBlobs } from "../store/cache_usage.ts";
import type { Catalogue } from "../store/catalogue.ts";
import type { ImageRecord } from "../store/record.ts";
import { defaultNoCacheName, storageFile, storageNames } from "../store/storage_paths.ts";
import type { PullListener } from "./events.ts";
import type { ImageSource, Resolved } from "../sources/source.ts";
import { unpackImage } from "./download.ts";
import { buildImage } from "./build_image.ts";
import { partialPath, sweepOrphanImages, sweepPartials, temporaryDir } from "../store/work_dirs.ts";
import { noSpaceIn } from "./_no_space.ts";
import { findReusable, isRecorded, platformString } from "./_records.ts";
import { chooseWorkspace, estimateUnpacked } from "./workspace.ts";
import { layerDiffIds } from "./diff_ids.ts";
import { describeWait } from "../store/locks.ts";
import { checkOverwrite, placeImage, recordsNaming } from "./overwrite.ts";

/** What to pull and how. */
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
  compression?: "gzip" | "zstd" | "lz4" | "xz";
  sudo?: boolean;
  /** `--keep-sandbox DIR`: also write the root filesystem into this new folder. */
  keepSandbox?: string;
}

/** Where things go and what to tell. */
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
  isRoot?: boolean;
  deterministic?: boolean;
  onEvent?: PullListener;
}

/** The outcome of a pull. */
export interface PullResult {
  /** The SIF (or sandbox) path. */
  path: string;
  record?: ImageRecord;
  /** True when an existing image was reused and nothing was built. */
  reused: boolean;
  downloaded: number;
}

/** True when `a` and `b` name the same existing file (compared by device and inode). */
function sameFile(a: string, b: string): boolean {
  try {
    const x = Deno.statSync(a);
    const y = Deno.statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** Pulls an image. */
export async function pull(req: PullRequest, ctx: PullContext): Promise<PullResult> {
  const recording = ctx.catalogue !== undefined && !req.noCache && !req.sandbox;
  if (recording && !req.force) {
    const digest = req.ref.digest ?? await req.headDigest?.();
    const found = digest ? findReusable(ctx.catalogue!, req.ref, req.platform, digest) : undefined;
    // `--name FILE` asks for the image at FILE: a recorded copy elsewhere does not answer it.
    if (found && (req.name === undefined || sameFile(found.image!, req.name))) {
      if (ctx.cache) markUsed(ctx.cache, recordBlobs(found));
      return { path: found.image!, record: found, reused: true, downloaded: 0 };
    }
  }
  const names = storageNames(req.ref);
  // A path the user named (or the --no-cache default): never replace a file sregistry did not write.
  const named = req.sandbox
    ? undefined
    : req.name ?? (recording ? undefined : defaultNoCacheName(names.name, names.tag));
  const targetRule = { option: "--name", force: req.force, catalogue: ctx.catalogue };
  const targetState = named ? checkOverwrite(named, targetRule) : "ours";
  const sandboxExisted = req.sandbox !== undefined && checkSandboxTarget(req.sandbox);
  if (req.keepSandbox) checkSandboxTarget(req.keepSandbox);
  ctx.cache?.init();
  ctx.cache?.sweep();
  const found = await req.source.resolve(req.platform);
  // Checked before any layer is fetched: a malformed config stops the pull here.
  const config = parseImageConfig(
    found.configBytes,
    `${req.source.name} (${found.manifest.config.digest})`,
  );
  const resolved = imagePlatform(found, configPlatform(config), req, ctx);
  const layers = resolved.manifest.layers;
  layerDiffIds(resolved); // refuses a layer count other than the config's, before any download
  // Pinned: a concurrent `cache prune` leaves these blobs alone.
  using _pin = ctx.cache
    ? await useBlobs(ctx.cache, [
      resolved.digest,
      resolved.manifestDigest,
      resolved.manifest.config.digest,
      ...new Set(layers.map((l) => l.digest)),
    ], { onWait: (_, wait) => ctx.onEvent?.({ kind: "step", text: describeWait(wait) }) })
    : undefined;
  await rememberManifests(ctx, req, resolved);
  ctx.onEvent?.({
    kind: "resolved",
    reference: formatReference(req.ref),
    digest: resolved.digest,
    platform: platformString(resolved.platform),
    layers: layers.map((l) => ({ digest: l.digest, size: l.size })),
  });
  const builder = req.sandbox
    ? undefined
    : chooseBuilder(req.builder ?? "auto", which, req.compression);
  // The native builder creates no file but the SIF (and the --keep-sandbox folder).
  const folderRoad = builder !== undefined && builder !== "native";
  const needed = estimateUnpacked(layers.map((l) => l.size));
  const workParent = !folderRoad ? ctx.explicitTmpDir ?? ctx.tmpDir : chooseWorkspace({
    explicit: ctx.explicitTmpDir,
    fallback: ctx.tmpDir,
    ram: ctx.ramDir,
    needed,
  });
  const sandboxDir = req.sandbox ?? req.keepSandbox;
  if (sandboxDir) {
    chooseWorkspace({
      explicit: parentOf(sandboxDir),
      fallback: "",
      needed,
      variable: req.sandbox ? "--sandbox" : "--keep-sandbox",
    });
  }
  await using work = await noSpaceIn(
    workParent,
    "SREGISTRY_TMPDIR",
    () => temporaryDir(workParent),
  );
  const rootfs = sandboxDir ?? (folderRoad ? `${work.path}/rootfs` : undefined);
  if (rootfs) Deno.mkdirSync(rootfs, { recursive: true });
  const unpackDir = sandboxDir ?? workParent;
  const unpackVar = req.sandbox
    ? "--sandbox"
    : req.keepSandbox
    ? "--keep-sandbox"
    : "SREGISTRY_TMPDIR";
  const { cache, jobs, onEvent } = ctx;
  const downloads = { source: req.source, resolved, cache, jobs, onEvent };
  if (req.sandbox) {
    try {
      const downloaded = await noSpaceIn(unpackDir, unpackVar, () =>
        unpackImage({
          ...downloads,
          rootfs: req.sandbox!,
          isRoot: ctx.isRoot,
          maxLayerBytes: ctx.maxLayerBytes,
        }));
      return { path: req.sandbox, reused: false, downloaded };
    } catch (e) {
      removeSandbox(req.sandbox, sandboxExisted); // no partial root filesystem is left
      throw e;
    }
  }
  const from = formatReference(req.ref);
  const arch = config.architecture ?? resolved.platform?.architecture ?? "amd64";
  const target = named ??
    storageFile(ctx.storageDir, { ...names, digest: resolved.manifestDigest });
  const dir = target.includes("/") ? target.slice(0, target.lastIndexOf("/")) || "/" : ".";
  Deno.mkdirSync(dir, { recursive: true });
  sweepPartials(target);
  const partial = partialPath(target);
  const storageVar = req.name ? "--name" : recording ? "SREGISTRY_STORAGE" : "--name";
  try {
    const downloaded = await noSpaceIn(dir, storageVar, () =>
      buildImage({
        builder: builder!,
        downloads,
        rootfs,
        unpacking: (fn) => noSpaceIn(unpackDir, unpackVar, fn),
        metadata: singularityMetadata({
          config: { ...config.config, Env: config.config?.Env ?? undefined },
          from,
          arch,
          variant: config.variant,
          created: config.created ?? new Date(0).toISOString(),
          baseDigest: resolved.digest,
          cmdOnly: ctx.cmdOnly,
        }),
        output: partial,
        from,
        config,
        arch,
        compression: req.compression,
        isRoot: ctx.isRoot ?? Deno.uid() === 0,
        deterministic: ctx.deterministic,
        sudo: req.sudo,
        maxLayerBytes: ctx.maxLayerBytes,
        tmpDir: work.path,
        onEvent: ctx.onEvent,
      }), { tmpDir: workParent });
    const size = Deno.statSync(partial).size;
    if (!recording) {
      placeImage(partial, target, targetState, targetRule);
      return { path: target, reused: false, downloaded };
    }
    const replaced = named ? recordsNaming(ctx.catalogue, named) : [];
    const record = ctx.catalogue!.transaction(() => {
      const rec = ctx.catalogue!.upsert({
        registry: names.registry,
        collection: names.collection,
        name: names.name,
        tag: names.tag,
        version: resolved.manifestDigest,
        client: "docker",
        image: target,
        url: req.source.name,
        digest: resolved.digest,
        manifestDigest: resolved.manifestDigest,
        platform: platformString(resolved.platform) ?? `linux/${arch}`,
        size,
        manifest: JSON.parse(new TextDecoder().decode(resolved.bytes)),
        platformManifest: JSON.parse(new TextDecoder().decode(resolved.manifestBytes)),
        config,
        source: req.source.name,
        metrics: {},
      });
      placeImage(partial, target, targetState, targetRule);
      // Records of the image this file held before name another image now.
      for (const old of replaced) if (old.id !== rec.id) ctx.catalogue!.remove(old.id);
      if (!req.name) sweepOrphanImages(dir, names.tag, (path) => isRecorded(ctx.catalogue!, path));
      return rec;
    });
    return { path: target, record, reused: false, downloaded };
  } finally {
    try {
      Deno.removeSync(partial);
    } catch { /* renamed into place */ }
  }
}

/**
 * The image's real platform, from its config (with the index entry's variant
 * when the config names none), checked against `--platform` (an error when
 * different) or else this machine's (a warning).
 * @throws {SregistryError} when the image is not built for the platform asked
 */
function imagePlatform(
  r: Resolved,
  declared: Platform,
  req: PullRequest,
  ctx: PullContext,
): Resolved {
  const have = normalizePlatform(declared);
  const verdict = checkImagePlatform(formatReference(req.ref), have, req.platform, hostPlatform());
  if (verdict.kind === "error") throw new SregistryError(verdict.text);
  if (verdict.kind === "warning") ctx.onEvent?.({ kind: "warning", text: verdict.text });
  if (!have) return r;
  const variant = have.variant ??
    (r.platform && sameArchitecture(have, r.platform) ? r.platform.variant : undefined);
  const { os, architecture } = have;
  return { ...r, platform: variant ? { os, architecture, variant } : { os, architecture } };
}

function parentOf(path: string): string {
  const clean = path.replace(/\/+$/, "");
  const slash = clean.lastIndexOf("/");
  return slash < 0 ? "." : clean.slice(0, slash) || "/";
}

/** Checks that `dir` is missing or empty; true when it exists. */
function checkSandboxTarget(dir: string): boolean {
  try {
    const entries = [...Deno.readDirSync(dir)];
    if (entries.length > 0) {
      throw new UsageError(
        `Cannot unpack into ${dir}: the folder is not empty: give a new or empty folder to --sandbox`,
      );
    }
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    if (e instanceof UsageError) throw e;
    throw new SregistryError(`Cannot use ${dir} as a sandbox: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** Removes what a failed unpack left in sandbox `dir` (`dir` too unless it existed, empty, before). */
function removeSandbox(dir: string, existed: boolean): void {
  try {
    if (!existed) return Deno.removeSync(dir, { recursive: true });
    for (const entry of Deno.readDirSync(dir)) {
      Deno.removeSync(`${dir}/${entry.name}`, { recursive: true });
    }
  } catch { /* the error being thrown says more */ }
}

async function rememberManifests(ctx: PullContext, req: PullRequest, r: Resolved): Promise<void> {
  if (!ctx.cache) return;
  ctx.cache.putBytes({ digest: r.digest }, r.bytes);
  ctx.cache.putBytes({ digest: r.manifestDigest }, r.manifestBytes);
  // Also when resolving fetched it into the cache: a prune may have removed it before the pin.
  ctx.cache.putBytes({ digest: r.manifest.config.digest }, r.configBytes);
  await ctx.cache.tag(formatReference(req.ref), {
    mediaType: r.mediaType,
    digest: r.digest,
    size: r.bytes.length,
  });
}
