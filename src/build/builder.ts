/**
 * Turning a prepared root filesystem (metadata already written into it) into
 * a SIF: natively (`mksquashfs` + our SIF encoder) or with `apptainer` /
 * `singularity build`; or, without any folder, a flattened tar stream
 * (`tar2sqfs` + the same SIF objects).
 * @module
 */

import { dirname, join } from "node:path";
import { SregistryError } from "../errors.ts";
import { type CommandRunner, lastLine, runCommand } from "./command.ts";
import { definitionFile, ociConfigJson } from "./metadata.ts";
import { SIF_DATA, SIF_FS, SIF_PART } from "./sif.ts";
import { writeSif } from "./sif_writer.ts";
import { availableProcessors, type Compression, makeSquashfs } from "./squashfs.ts";
import { makeSquashfsFromTar } from "./tar2sqfs.ts";

/** What `--builder` accepts. */
export type BuilderName = "auto" | "native" | "apptainer" | "singularity";

const PROGRAM = { native: "mksquashfs", apptainer: "apptainer", singularity: "singularity" };

/**
 * The builder to use. auto: native when `mksquashfs` is on PATH, else
 * apptainer, else singularity. Throws SregistryError saying what to install.
 */
export function chooseBuilder(
  wanted: BuilderName,
  which: (program: string) => string | undefined,
): "native" | "apptainer" | "singularity" {
  if (wanted === "auto") {
    for (const name of ["native", "apptainer", "singularity"] as const) {
      if (which(PROGRAM[name])) return name;
    }
    throw new SregistryError(
      "Cannot build the image: none of mksquashfs, apptainer or singularity is installed: install squashfs-tools (apt-get install squashfs-tools)",
    );
  }
  if (!(wanted in PROGRAM)) throw new TypeError(`Unknown builder: ${wanted}`);
  if (!which(PROGRAM[wanted])) {
    const install = wanted === "native" ? "install squashfs-tools" : `install ${wanted}`;
    throw new SregistryError(
      `Cannot build the image with --builder ${wanted}: ${
        PROGRAM[wanted]
      } is not on PATH: ${install}, or use --builder auto`,
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
  builder: "native" | "apptainer" | "singularity";
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
  if (opts.builder === "native") return await buildNative(opts);
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

function buildNative(opts: BuildSifOptions): Promise<void> {
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

/** Options of {@link buildSifFromTar}. */
export type BuildSifFromTarOptions = SifParts & {
  /** The root filesystem as one tar stream (`flattenLayers`). */
  tar: ReadableStream<Uint8Array>;
  compression?: Compression;
  /** Compression level; default DEFAULT_LEVELS. */
  level?: number;
  /** The time of a deterministic build; default SOURCE_DATE_EPOCH, else 0. */
  sourceDateEpoch?: number;
  /** Where the temporary squashfs goes; default the output's folder. */
  tmpDir?: string;
  /** Jobs for tar2sqfs; default availableProcessors(). */
  processors?: number;
  run?: CommandRunner;
  onOutput?: (chunk: string) => void;
};

/**
 * Builds `output` natively from a tar stream: `tar2sqfs` writes the squashfs
 * (no root filesystem folder), then the same SIF objects as {@link buildSif}.
 * Errors of the stream (`LayerFormatError`, `FlattenUnsupported`) pass through.
 */
export function buildSifFromTar(opts: BuildSifFromTarOptions): Promise<void> {
  return viaSquashfsFile(
    opts,
    (squashfs, common) =>
      makeSquashfsFromTar({ ...common, tar: opts.tar, output: squashfs, run: opts.run }),
  );
}

/** True when the streaming path ({@link buildSifFromTar}) can run: tar2sqfs is on PATH. */
export function canStream(which: (program: string) => string | undefined): boolean {
  return which("tar2sqfs") !== undefined;
}

function deterministicTime(opts: { sourceDateEpoch?: number }): number {
  if (opts.sourceDateEpoch !== undefined) return opts.sourceDateEpoch;
  const env = Number(Deno.env.get("SOURCE_DATE_EPOCH"));
  return Number.isInteger(env) && env >= 0 ? env : 0;
}
