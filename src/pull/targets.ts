/**
 * Where a pull writes, checked before anything is fetched: a file the user
 * named is never replaced unless sregistry wrote it (`overwrite.ts`), and a
 * sandbox folder must be new or empty. A failed or interrupted unpack removes
 * what it wrote (`store/work_dirs.ts` `openSandbox`).
 * @module
 */
import { SregistryError, UsageError } from "../errors.ts";
import { storageFile, storageNames } from "../store/storage_paths.ts";
import { trackedPartial } from "../store/work_dirs.ts";
import { checkOverwrite, identityOf, type JudgedTarget, type OverwriteRule } from "./overwrite.ts";
import type { PullPlan } from "./plan.ts";

/** What the checks found, for placing the image and cleaning up a failure. */
export interface Targets extends JudgedTarget {
  /** How the named file (or the storage path: "ours") was judged, and which file was there. */
}

/** The rule `checkOverwrite` and `placeImage` apply to the plan's named file. */
export function overwriteRule(plan: PullPlan): OverwriteRule {
  return {
    option: "--name",
    force: plan.force,
    catalogue: plan.catalogue,
    reference: storageNames(plan.ref),
  };
}

/**
 * Checks the plan's targets before any download.
 * @throws {UsageError} for a named file that may not be replaced, or a sandbox folder not empty
 * @throws {SregistryError} for a sandbox folder that cannot be read
 */
export function checkTargets(plan: PullPlan): Targets {
  const seen = plan.named ? identityOf(plan.named) ?? "none" : undefined;
  const state = plan.named ? checkOverwrite(plan.named, overwriteRule(plan)) : "ours";
  if (plan.sandbox) checkSandboxTarget(plan.sandbox, "--sandbox");
  if (plan.keepSandbox) checkSandboxTarget(plan.keepSandbox, "--keep-sandbox");
  return Object.freeze({ state, seen });
}

/** Checks that `dir`, given with `option`, is missing or empty. */
function checkSandboxTarget(dir: string, option: string): void {
  try {
    const entries = [...Deno.readDirSync(dir)];
    if (entries.length > 0) {
      throw new UsageError(
        `Cannot unpack into ${dir}: the folder is not empty: give a new or empty folder to ${option}`,
      );
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    if (e instanceof UsageError) throw e;
    throw new SregistryError(`Cannot use ${dir} as a sandbox: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** The SIF a pull writes: its final path, that path's folder, and the partial file built first. */
export interface ImageOutput {
  readonly target: string;
  readonly dir: string;
  readonly partial: string;
}

/**
 * Where the plan's SIF goes: the named file, else its storage path
 * (`<storage>/<registry>/<collection>/<name>/<tag>@<manifest digest>.sif`),
 * and the partial file beside it (registered for removal on interrupt).
 */
export function imageOutput(plan: PullPlan, manifestDigest: string): ImageOutput {
  const target = plan.named ??
    storageFile(plan.storageDir, { ...storageNames(plan.ref), digest: manifestDigest });
  const dir = target.includes("/") ? target.slice(0, target.lastIndexOf("/")) || "/" : ".";
  return Object.freeze({ target, dir, partial: trackedPartial(target) });
}
