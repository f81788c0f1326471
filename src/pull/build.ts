/**
 * The download-and-build step of a pull: the layers are downloaded into the
 * blob cache while the layer engine applies them in order (`download.ts`),
 * into a `--sandbox` folder or, through `build_image.ts`, into the SIF. This
 * file chooses the builder and the work folders; a full disk is reported
 * naming the folder and the variable or option that moves it.
 * @module
 */
import { chooseBuilder, type ChosenBuilder } from "../builders/builder.ts";
import { which } from "../builders/command.ts";
import { singularityMetadata } from "../sif/metadata.ts";
import { openSandbox, sweepPartials, temporaryDir } from "../store/work_dirs.ts";
import { noSpaceIn } from "./_no_space.ts";
import { buildImage } from "./build_image.ts";
import { unpackImage } from "./download.ts";
import type { PullPlan } from "./plan.ts";
import type { PulledImage } from "./resolve.ts";
import type { PullResult } from "./reuse.ts";
import type { ImageOutput } from "./targets.ts";
import { chooseWorkspace, estimateUnpacked, leastUnpacked } from "./workspace.ts";

/** A work folder, removed on dispose, and the root filesystem folder of the road taken. */
interface Workspace extends AsyncDisposable {
  /** The work folder (mksquashfs's temporary squashfs). */
  readonly path: string;
  /** Its parent, named when the disk there is full. */
  readonly parent: string;
  /** The folder road's root filesystem, or the `--sandbox` / `--keep-sandbox` folder. */
  readonly rootfs?: string;
  /** Runs the unpacking, a full disk named as the rootfs folder's. */
  readonly unpacking: <T>(fn: () => Promise<T>) => Promise<T>;
  /**
   * Removes the `--sandbox` / `--keep-sandbox` folder (only its content when
   * the user had made it); an interrupt does the same until disposal.
   */
  readonly removeSandbox: () => void;
}

/**
 * Fills the plan's `--sandbox` folder with the image's layers; on failure or
 * interrupt removes what it wrote (and the folder unless it existed before).
 */
export async function unpackSandbox(plan: PullPlan, image: PulledImage): Promise<PullResult> {
  const sandbox = plan.sandbox!;
  await using work = await openWorkspace(plan, image);
  try {
    const downloaded = await work.unpacking(() =>
      unpackImage({ ...plan, resolved: image.resolved, rootfs: sandbox })
    );
    return { path: sandbox, reused: false, downloaded };
  } catch (e) {
    work.removeSandbox(); // no partial root filesystem is left
    throw e;
  }
}

/**
 * Builds the image's SIF at `output.partial` with the builder the plan asks
 * for, then runs `finish` (placing and recording the SIF) with how many blobs
 * were downloaded, and returns what it returns. On failure or interrupt
 * before `finish` returns, the `--keep-sandbox` folder is removed as
 * `--sandbox`'s is: a folder is kept only beside a recorded image.
 * @throws {UsageError} for a builder that cannot use the compression asked
 * @throws {SregistryError} for a builder not installed, a full disk, a failed build
 * @throws what `finish` throws
 */
export async function buildSifFile<T>(
  plan: PullPlan,
  image: PulledImage,
  output: ImageOutput,
  finish: (downloaded: number) => T,
): Promise<Awaited<T>> {
  const builder = chooseBuilder(plan.builder, which, plan.compression);
  await using work = await openWorkspace(plan, image, builder);
  const storageVar = plan.name ? "--name" : plan.recording ? "SREGISTRY_STORAGE" : "--name";
  const job = {
    builder,
    image,
    rootfs: work.rootfs,
    metadata: metadataFiles(plan, image),
    output: output.partial,
    tmpDir: work.path,
    unpacking: work.unpacking,
  };
  try {
    Deno.mkdirSync(output.dir, { recursive: true });
    sweepPartials(output.target);
    const downloaded = await noSpaceIn(output.dir, storageVar, () => buildImage(plan, job), {
      tmpDir: work.parent,
    });
    return await finish(downloaded);
  } catch (e) {
    work.removeSandbox();
    throw e;
  }
}

/**
 * The work folder: in RAM when the folder road's image fits there and no
 * SREGISTRY_TMPDIR is set, else the temp folder; the free space of the
 * sandbox folder's file system checked first.
 */
async function openWorkspace(
  plan: PullPlan,
  image: PulledImage,
  builder?: ChosenBuilder,
): Promise<Workspace> {
  // The native builder creates no file but the SIF (and the --keep-sandbox folder).
  const folderRoad = builder !== undefined && builder !== "native";
  const sizes = image.resolved.manifest.layers.map((l) => l.size);
  const needed = estimateUnpacked(sizes);
  const least = leastUnpacked(sizes);
  const onWarning = (text: string) => plan.onEvent?.({ kind: "warning", text });
  const { explicitTmpDir: explicit, tmpDir: fallback, ramDir: ram } = plan;
  const parent = folderRoad
    ? chooseWorkspace({ explicit, fallback, ram, needed, least, onWarning })
    : explicit ?? fallback;
  const sandboxDir = plan.sandbox ?? plan.keepSandbox;
  const variable = plan.sandbox
    ? "--sandbox"
    : plan.keepSandbox
    ? "--keep-sandbox"
    : "SREGISTRY_TMPDIR";
  if (sandboxDir) {
    chooseWorkspace({
      explicit: parentOf(sandboxDir),
      fallback: "",
      needed,
      least,
      variable,
      onWarning,
    });
  }
  const work = await noSpaceIn(parent, "SREGISTRY_TMPDIR", () => temporaryDir(parent));
  const rootfs = sandboxDir ?? (folderRoad ? `${work.path}/rootfs` : undefined);
  let sandbox: ReturnType<typeof openSandbox> | undefined;
  try {
    // Checked empty (or missing) by targets.ts: an existing one is emptied, never removed.
    if (sandboxDir) sandbox = openSandbox(sandboxDir);
    else if (rootfs) Deno.mkdirSync(rootfs, { recursive: true });
  } catch (e) {
    await work[Symbol.asyncDispose]();
    throw e;
  }
  const unpackDir = sandboxDir ?? parent;
  return {
    path: work.path,
    parent,
    rootfs,
    unpacking: (fn) => noSpaceIn(unpackDir, variable, fn),
    removeSandbox: () => sandbox?.remove(),
    [Symbol.asyncDispose]: () => {
      sandbox?.[Symbol.dispose]();
      return work[Symbol.asyncDispose]();
    },
  };
}

/** The Singularity metadata files (environment, runscript, labels...) of the image. */
function metadataFiles(plan: PullPlan, { config, arch, resolved }: PulledImage) {
  return singularityMetadata({
    config: { ...config.config, Env: config.config?.Env ?? undefined },
    from: plan.reference,
    arch,
    variant: config.variant,
    created: config.created ?? new Date(0).toISOString(),
    baseDigest: resolved.digest,
    cmdOnly: plan.cmdOnly,
  });
}

function parentOf(path: string): string {
  const clean = path.replace(/\/+$/, "");
  const slash = clean.lastIndexOf("/");
  return slash < 0 ? "." : clean.slice(0, slash) || "/";
}
