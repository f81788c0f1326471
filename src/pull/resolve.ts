/**
 * The second step of a pull: resolve the reference to one platform's
 * manifest and config, check them, and pin their blobs against a concurrent
 * `cache prune` before any layer is fetched.
 * @module
 */
import { SregistryError } from "../errors.ts";
import { configPlatform, parseImageConfig } from "../image/config.ts";
import {
  checkImagePlatform,
  hostPlatform,
  normalizePlatform,
  type Platform,
  sameArchitecture,
} from "../image/platform.ts";
import type { ImageConfig } from "../image/schemas.ts";
import type { Resolved } from "../sources/source.ts";
import { useBlobs } from "../store/blob_pins.ts";
import { describeWait } from "../store/locks.ts";
import { platformString } from "./_records.ts";
import { layerDiffIds } from "./diff_ids.ts";
import type { PullPlan } from "./plan.ts";

/** The image a pull builds: its manifest for one platform and its config. Frozen. */
export interface PulledImage {
  readonly resolved: Resolved;
  readonly config: ImageConfig;
  /** GOARCH name ("amd64"): the config's, else the platform's, else amd64. */
  readonly arch: string;
}

/**
 * Resolves the plan's reference, checks the config (a malformed one, a layer
 * count other than its diff IDs', or a platform other than `--platform`
 * stops the pull here), pins the blobs, keeps the manifests and config in the
 * blob cache and tells the listener. Dispose of `pin` when the pull ends.
 * @throws {SregistryError} when the image is not built for the platform asked,
 *   {@linkcode DocumentError} for a malformed config, what the source throws
 */
export async function resolveAndPin(
  plan: PullPlan,
): Promise<{ image: PulledImage; pin?: Disposable }> {
  const { cache, source } = plan;
  cache?.init();
  cache?.sweep();
  const found = await source.resolve(plan.platform);
  const config = parseImageConfig(
    found.configBytes,
    `${source.name} (${found.manifest.config.digest})`,
  );
  const resolved = imagePlatform(plan, found, configPlatform(config));
  const layers = resolved.manifest.layers;
  layerDiffIds(resolved); // refuses a layer count other than the config's, before any download
  const pin = cache
    ? await useBlobs(cache, [
      resolved.digest,
      resolved.manifestDigest,
      resolved.manifest.config.digest,
      ...new Set(layers.map((l) => l.digest)),
    ], { onWait: (_, wait) => plan.onEvent?.({ kind: "step", text: describeWait(wait) }) })
    : undefined;
  await rememberManifests(plan, resolved);
  plan.onEvent?.({
    kind: "resolved",
    reference: plan.reference,
    digest: resolved.digest,
    platform: platformString(resolved.platform),
    layers: layers.map((l) => ({ digest: l.digest, size: l.size })),
  });
  const arch = config.architecture ?? resolved.platform?.architecture ?? "amd64";
  return { image: Object.freeze({ resolved, config, arch }), pin };
}

/**
 * The image's real platform, from its config (with the index entry's variant
 * when the config names none), checked against `--platform` (an error when
 * different) or else this machine's (a warning).
 * @throws {SregistryError} when the image is not built for the platform asked
 */
function imagePlatform(plan: PullPlan, r: Resolved, declared: Platform): Resolved {
  const have = normalizePlatform(declared);
  const verdict = checkImagePlatform(plan.reference, have, plan.platform, hostPlatform());
  if (verdict.kind === "error") throw new SregistryError(verdict.text);
  if (verdict.kind === "warning") plan.onEvent?.({ kind: "warning", text: verdict.text });
  if (!have) return r;
  const variant = have.variant ??
    (r.platform && sameArchitecture(have, r.platform) ? r.platform.variant : undefined);
  const { os, architecture } = have;
  return { ...r, platform: variant ? { os, architecture, variant } : { os, architecture } };
}

/** Keeps the index, manifest and config in the blob cache, tagged with the reference. */
async function rememberManifests(plan: PullPlan, r: Resolved): Promise<void> {
  if (!plan.cache) return;
  plan.cache.putBytes({ digest: r.digest }, r.bytes);
  plan.cache.putBytes({ digest: r.manifestDigest }, r.manifestBytes);
  // Also when resolving fetched it into the cache: a prune may have removed it before the pin.
  plan.cache.putBytes({ digest: r.manifest.config.digest }, r.configBytes);
  await plan.cache.tag(plan.reference, {
    mediaType: r.mediaType,
    digest: r.digest,
    size: r.bytes.length,
  });
}
