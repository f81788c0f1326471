/**
 * The last step of a pull: put the built SIF at its path and, when the plan
 * records, write its catalogue record in the same transaction, so the record
 * and the file appear together or not at all. A process killed between the
 * rename and the commit leaves a file without a record, which the next pull
 * of that image replaces or removes inside its own transaction.
 * @module
 */
import type { ImageRecord, NewImageRecord } from "../store/record.ts";
import { storageNames } from "../store/storage_paths.ts";
import { sweepOrphanImages } from "../store/work_dirs.ts";
import { isManagedFile, isRecorded, platformString } from "./_records.ts";
import {
  changedSince,
  identityOf,
  placeImage,
  recordsNaming,
  writtenMeanwhile,
} from "./overwrite.ts";
import type { PullPlan } from "./plan.ts";
import type { PulledImage } from "./resolve.ts";
import type { PullResult } from "./reuse.ts";
import { type ImageOutput, overwriteRule, type Targets } from "./targets.ts";

/**
 * Places `output.partial` at `output.target` and records it (unless the plan
 * does not record). The image has one record (registry, collection, name,
 * tag, version): when it moves from the image's managed file in storage to
 * the file the user named, the managed file goes with it (it is
 * sregistry's, and nothing would list or remove it); a file the user named
 * before is left to the user.
 * @throws {UsageError} when a file the user named appeared meanwhile and may not be replaced
 * @throws {SregistryError} when another pull wrote the named file while this one ran
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
  const rule = overwriteRule(plan);
  if (!plan.recording) {
    placeImage(partial, target, targets, rule);
    return { path: target, reused: false, downloaded };
  }
  const catalogue = plan.catalogue!;
  const row = recordOf(plan, image, target, size);
  let left: string | undefined;
  const rec = catalogue.transaction(() => {
    // Inside the write lock: pulls into one catalogue place their files one at a time.
    if (changedSince(target, targets)) {
      const same = recordsNaming(catalogue, target).find((r) => sameRow(r, row));
      if (same) return same; // a concurrent pull of this very image wrote it: keep theirs
      throw writtenMeanwhile(target, rule);
    }
    const replaced = plan.named ? recordsNaming(catalogue, target) : [];
    const before = catalogue.all().find((r) => sameRow(r, row));
    const rec = catalogue.upsert(row);
    placeImage(partial, target, targets, rule);
    // Records of the image this file held before name another image now.
    for (const old of replaced) if (old.id !== rec.id) catalogue.remove(old.id);
    if (before?.image && isManagedFile(before) && !sameFile(before.image, target)) {
      left = before.image;
    }
    if (!plan.name) {
      const { tag } = storageNames(plan.ref);
      sweepOrphanImages(output.dir, tag, (path) => isRecorded(catalogue, path));
    }
    return rec;
  });
  if (left) removeQuietly(left); // after the commit: a crash before it leaves the record whole
  return { path: target, record: rec, reused: false, downloaded };
}

/** True when `r` is the catalogue row `row` would update (one per image and tag). */
function sameRow(r: ImageRecord, row: NewImageRecord): boolean {
  return r.registry === row.registry && r.collection === row.collection && r.name === row.name &&
    r.tag === row.tag && r.client === row.client && r.version === row.version;
}

function sameFile(a: string, b: string): boolean {
  const x = identityOf(a);
  const y = identityOf(b);
  return x !== undefined && y !== undefined && x.dev === y.dev && x.ino === y.ino;
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch { /* gone: a crash after the commit is swept by the next pull */ }
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
