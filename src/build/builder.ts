/**
 * The choice of builder, and the builders that turn a prepared root
 * filesystem folder (metadata already written into it) into a SIF:
 * `mksquashfs` + our SIF encoder, or `apptainer` / `singularity build`. The
 * default, native builder needs no folder and no program: the layer engine
 * feeds the squashfs writer straight into the SIF (`src/pull/build_image.ts`).
 * @module
 */

import { dirname, join } from "node:path";
import { SregistryError, UsageError } from "../errors.ts";
import { type CommandRunner, lastLine, runCommand } from "./command.ts";
import { definitionFile, ociConfigJson } from "./metadata.ts";
import { SIF_DATA, SIF_FS, SIF_PART } from "./sif.ts";
import { writeSif } from "./sif_writer.ts";
import { availableProcessors, type Compression, makeSquashfs } from "./squashfs.ts";

/** What `--builder` accepts. */
export type BuilderName = "auto" | "native" | "mksquashfs" | "apptainer" | "singularity";

/** A builder that was chosen: `native` needs no program, the others build from a folder. */
export type ChosenBuilder = Exclude<BuilderName, "auto">;

const PROGRAM = { mksquashfs: "mksquashfs", apptainer: "apptainer", singularity: "singularity" };

/** The compressions the native writer has (the others need `mksquashfs`). */
export function nativeCompresses(compression: Compression | undefined): boolean {
  return compression === undefined || compression === "gzip" || compression === "zstd";
}

/**
 * The builder to use. auto: native, which needs no program, unless the
 * compression is one only `mksquashfs` has (lz4, xz).
 * @throws {UsageError} for native with lz4 or xz
 * @throws {SregistryError} when the chosen builder's program is not on PATH, saying what to install
 */
export function chooseBuilder(
  wanted: BuilderName,
  which: (program: string) => string | undefined,
  compression?: Compression,
): ChosenBuilder {
  if (wanted === "auto") wanted = nativeCompresses(compression) ? "native" : "mksquashfs";
  if (wanted === "native") {
    if (nativeCompresses(compression)) return "native";
    throw new UsageError(
      `Cannot build the image with --builder native and --compression ${compression}: the native builder compresses with gzip or zstd: choose one of them, or --builder mksquashfs`,
    );
  }
  if (!(wanted in PROGRAM)) throw new TypeError(`Unknown builder: ${wanted}`);
  if (!which(PROGRAM[wanted])) {
    const install = wanted === "mksquashfs" ? "install squashfs-tools" : `install ${wanted}`;
    throw new SregistryError(
      `Cannot build the image with --builder ${wanted}: ${
        PROGRAM[wanted]
      } is not on PATH: ${install}, or use --builder native`,
    );
  }
  return wanted;
}

/** The command line of `apptainer|singularity build --force OUTPUT SANDBOX`, under sudo only when asked. */
export function runtimeBuildArgs(
  tool: "apptainer" | "singularity",
  opts: { sandbox: string; output: string; sudo?: boolean },
): { cmd: string; args: string[] } {
  const args = ["build", "--force", opts.output, opts.sandbox];
  return opts.sudo ? { cmd: "sudo", args: [tool, ...args] } : { cmd: tool, args };
}

/** What the SIF holds besides the squashfs. */
export interface SifParts {
  output: string;
  /** The reference pulled, for the definition file. */
  from: string;
  /** The full image config JSON. */
  config: unknown;
  /** GOARCH name of the image ("amd64"). */
  arch: string;
  /** Reproducible output (SOURCE_DATE_EPOCH set). */
  deterministic?: boolean;
}

/** Options of {@link buildSif}. */
export interface BuildSifOptions {
  builder: "mksquashfs" | "apptainer" | "singularity";
  /** The prepared root filesystem (metadata files already written). */
  rootfs: string;
  output: string;
  /** The reference pulled, for the definition file. */
  from: string;
  /** The full image config JSON. */
  config: unknown;
  /** GOARCH name of the image ("amd64"). */
  arch: string;
  compression?: Compression;
  /** Compression level; default DEFAULT_LEVELS. */
  level?: number;
  /** Default: this process runs as root. */
  isRoot?: boolean;
  /** Reproducible output (SOURCE_DATE_EPOCH set). */
  deterministic?: boolean;
  /** The time of a deterministic build; default SOURCE_DATE_EPOCH, else 0. */
  sourceDateEpoch?: number;
  /** Run apptainer/singularity under sudo. */
  sudo?: boolean;
  run?: CommandRunner;
  onOutput?: (chunk: string) => void;
  /** Where the temporary squashfs goes; default the output's folder. */
  tmpDir?: string;
  /** Processors for mksquashfs; default availableProcessors(). */
  processors?: number;
}

/** Builds `output` from `rootfs` with the chosen builder. */
export async function buildSif(opts: BuildSifOptions): Promise<void> {
  if (opts.builder === "mksquashfs") return await buildWithMksquashfs(opts);
  const { cmd, args } = runtimeBuildArgs(opts.builder, {
    sandbox: opts.rootfs,
    output: opts.output,
    sudo: opts.sudo,
  });
  const result = await (opts.run ?? runCommand)(cmd, args, { onOutput: opts.onOutput });
  if (result.code !== 0) {
    const detail = lastLine(result.stderr) || `exit code ${result.code}`;
    throw new SregistryError(
      `Cannot build the image: ${opts.builder} build failed: ${detail}: see its output above, or use --builder native`,
    );
  }
}

function buildWithMksquashfs(opts: BuildSifOptions): Promise<void> {
  return viaSquashfsFile(opts, (squashfs, common) =>
    makeSquashfs({
      ...common,
      source: opts.rootfs,
      output: squashfs,
      isRoot: opts.isRoot ?? Deno.uid() === 0,
      run: opts.run,
    }));
}

/**
 * Makes the squashfs in a temporary file with `make` (given the options both
 * native paths share), writes the SIF around it, and removes the file.
 */
async function viaSquashfsFile(
  opts: SifParts & {
    compression?: Compression;
    level?: number;
    processors?: number;
    sourceDateEpoch?: number;
    tmpDir?: string;
    onOutput?: (chunk: string) => void;
  },
  make: (
    squashfs: string,
    common: {
      compression: Compression;
      level?: number;
      processors: number;
      deterministicTime?: number;
      onOutput?: (chunk: string) => void;
    },
  ) => Promise<void>,
): Promise<void> {
  const dir = opts.tmpDir ?? dirname(opts.output);
  const squashfs = join(dir, `.sregistry-${crypto.randomUUID()}.squashfs`);
  try {
    await make(squashfs, {
      compression: opts.compression ?? "gzip",
      level: opts.level,
      processors: opts.processors ?? availableProcessors(),
      deterministicTime: opts.deterministic ? deterministicTime(opts) : undefined,
      onOutput: opts.onOutput,
    });
    await writeSifAround(squashfs, opts);
  } finally {
    await Deno.remove(squashfs).catch(() => {});
  }
}

/** The SIF objects of an image around its squashfs file (shared by both native paths). */
async function writeSifAround(squashfs: string, opts: SifParts): Promise<void> {
  const encoder = new TextEncoder();
  const deffile = encoder.encode(definitionFile(opts.from));
  const ociConfig = encoder.encode(ociConfigJson(opts.config));
  const size = (await Deno.stat(squashfs)).size;
  await writeSif(opts.output, [
    { type: SIF_DATA.DEFFILE, size: deffile.length, source: deffile },
    {
      type: SIF_DATA.GENERIC_JSON,
      name: "oci-config.json",
      size: ociConfig.length,
      source: ociConfig,
    },
    {
      type: SIF_DATA.PARTITION,
      size,
      source: { file: squashfs },
      partition: { fsType: SIF_FS.SQUASHFS, partType: SIF_PART.PRIMSYS, arch: opts.arch },
    },
  ], { deterministic: opts.deterministic });
}

function deterministicTime(opts: { sourceDateEpoch?: number }): number {
  if (opts.sourceDateEpoch !== undefined) return opts.sourceDateEpoch;
  const env = Number(Deno.env.get("SOURCE_DATE_EPOCH"));
  return Number.isInteger(env) && env >= 0 ? env : 0;
}
