/**
 * `sregistry pull`: from a reference to a registered SIF (or a sandbox), in
 * named steps that share one frozen {@linkcode PullPlan}:
 *
 * 1. **reuse** (`reuse.ts`): a warm pull is one manifest HEAD; when the
 *    catalogue already holds the digest the reference resolves to, with its
 *    file present, nothing is built.
 * 2. **check the targets** (`targets.ts`): a file the user named is never
 *    replaced unless sregistry wrote it; a sandbox folder must be new or empty.
 * 3. **resolve and pin** (`resolve.ts`): one platform's manifest and config,
 *    checked, their blobs pinned against a concurrent `cache prune`.
 * 4. **download and build** (`build.ts`): layers downloaded into the blob
 *    cache while the layer engine applies them in order (`download.ts`), into
 *    the sandbox, or into the SIF built in a partial file beside its final
 *    path (`build_image.ts`).
 * 5. **record** (`record.ts`): the partial file renamed into place and
 *    recorded in one transaction: the record and the file appear together or
 *    not at all.
 *
 * Crash safety: a process killed at any point leaves only files a later pull
 * sweeps (work folders, partial blobs and SIFs, locks of dead pids) or, killed
 * between the rename and the commit, an image file without a record, which the
 * next pull of that image replaces or removes inside its own transaction.
 * A full disk is reported naming the folder and the variable that moves it.
 * @module
 */
import { buildSifFile, unpackSandbox } from "./build.ts";
import { planPull, type PullContext, type PullRequest } from "./plan.ts";
import { record } from "./record.ts";
import { resolveAndPin } from "./resolve.ts";
import { type PullResult, reuse } from "./reuse.ts";
import { checkTargets, imageOutput } from "./targets.ts";

export type { PullContext, PullRequest } from "./plan.ts";
export type { PullResult } from "./reuse.ts";

/**
 * Pulls an image as `req` asks, with the settings of `ctx`.
 * @returns the SIF (or sandbox) path, its record, whether it was reused, the blobs downloaded
 * @throws {UsageError} for a target that may not be replaced, or options that do not go together
 * @throws {SregistryError} and the source's errors for failures; nothing partial is left
 */
export async function pull(req: PullRequest, ctx: PullContext): Promise<PullResult> {
  const plan = planPull(req, ctx);
  const reused = await reuse(plan);
  if (reused) return reused;
  const targets = checkTargets(plan);
  const { image, pin } = await resolveAndPin(plan);
  using _pin = pin;
  if (plan.sandbox) return await unpackSandbox(plan, image);
  const output = imageOutput(plan, image.resolved.manifestDigest);
  try {
    // Recorded inside the build's scope: a failed or interrupted record removes --keep-sandbox's folder.
    return await buildSifFile(
      plan,
      image,
      output,
      (downloaded) => record(plan, image, targets, output, downloaded),
    );
  } finally {
    try {
      Deno.removeSync(output.partial);
    } catch { /* renamed into place */ }
  }
}
