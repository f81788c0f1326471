/**
 * The first step of a pull: reuse an image already recorded. A warm pull is
 * one manifest HEAD: when the catalogue holds the digest the reference
 * resolves to, for the platform asked, with its file present, nothing is built.
 * @module
 */
import { markUsed, recordBlobs } from "../store/cache_usage.ts";
import type { ImageRecord } from "../store/record.ts";
import { findReusable } from "./_records.ts";
import type { PullPlan } from "./plan.ts";

/** The outcome of a pull. */
export interface PullResult {
  /** The SIF (or sandbox) path. */
  path: string;
  record?: ImageRecord;
  /** True when an existing image was reused and nothing was built. */
  reused: boolean;
  downloaded: number;
}

/**
 * The recorded image the plan can reuse (its blobs marked used), or
 * undefined: not recording, `--force`, no digest, no such record, or a
 * `--name FILE` that is not the recorded file.
 * @throws what the registry's HEAD throws
 */
export async function reuse(plan: PullPlan): Promise<PullResult | undefined> {
  if (!plan.recording || plan.force) return undefined;
  const digest = plan.ref.digest ?? await plan.headDigest?.();
  if (!digest) return undefined;
  // `--name FILE` asks for the image at FILE, a plain pull for its managed file in storage:
  // a recorded copy elsewhere (a file the user named, which they may have changed) does not answer.
  const managed = plan.name === undefined;
  const found = findReusable(plan.catalogue!, plan.ref, plan.platform, digest, { managed });
  if (!found || (plan.name !== undefined && !sameFile(found.image!, plan.name))) return undefined;
  if (plan.cache) markUsed(plan.cache, recordBlobs(found));
  return { path: found.image!, record: found, reused: true, downloaded: 0 };
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
