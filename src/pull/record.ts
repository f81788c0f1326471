/**
 * The last step of a pull: put the built SIF at its path and, when the plan
 * records, write its catalogue record in the same transaction, so the record
 * and the file appear together or not at all. A process killed between the
 * rename and the commit leaves a file without a record, which the next pull
 * of that image replaces or removes inside its own transaction.
 * @module
 */
import type { NewImageRecord } from "../store/record.ts";
import { storageNames } from "../store/storage_paths.ts";
import { sweepOrphanImages } from "../store/work_dirs.ts";
import { isRecorded, platformString } from "./_records.ts";
import { placeImage, recordsNaming } from "./overwrite.ts";
import type { PullPlan } from "./plan.ts";
import type { PulledImage } from "./resolve.ts";
import type { PullResult } from "./reuse.ts";
import { type ImageOutput, overwriteRule, type Targets } from "./targets.ts";

/**
 * Places `output.partial` at `output.target` and records it (unless the plan
 * does not record).
 * @throws {UsageError} when a file the user named appeared meanwhile and may not be replaced
 */
export function record(
  plan: PullPlan,
  image: PulledImage,
  targets: Targets,
  output: ImageOutput,
  downloaded: number,
): PullResult {
  const { partial, target } = output;
  const size = Deno.statSync(partial).size;
  if (!plan.recording) {
    placeImage(partial, target, targets.state, overwriteRule(plan));
    return { path: target, reused: false, downloaded };
  }
  const catalogue = plan.catalogue!;
  const replaced = plan.named ? recordsNaming(catalogue, plan.named) : [];
  const rec = catalogue.transaction(() => {
    const rec = catalogue.upsert(recordOf(plan, image, target, size));
    placeImage(partial, target, targets.state, overwriteRule(plan));
    // Records of the image this file held before name another image now.
    for (const old of replaced) if (old.id !== rec.id) catalogue.remove(old.id);
    if (!plan.name) {
      const { tag } = storageNames(plan.ref);
      sweepOrphanImages(output.dir, tag, (path) => isRecorded(catalogue, path));
    }
    return rec;
  });
  return { path: target, record: rec, reused: false, downloaded };
}

/** The catalogue row of the image built at `image` (`size` bytes). */
function recordOf(
  plan: PullPlan,
  { resolved, config, arch }: PulledImage,
  image: string,
  size: number,
): NewImageRecord {
  const { registry, collection, name, tag } = storageNames(plan.ref);
  return {
    registry,
    collection,
    name,
    tag,
    version: resolved.manifestDigest,
    client: "docker",
    image,
    url: plan.source.name,
    digest: resolved.digest,
    manifestDigest: resolved.manifestDigest,
    platform: platformString(resolved.platform) ?? `linux/${arch}`,
    size,
    manifest: JSON.parse(new TextDecoder().decode(resolved.bytes)),
    platformManifest: JSON.parse(new TextDecoder().decode(resolved.manifestBytes)),
    config,
    source: plan.source.name,
    metrics: {},
  };
}
