/**
 * `sregistry pull [OUT.sif] REF`: the main job. The flags map onto the
 * library's `runPull` (`src/api/pull.ts`), which scripts call too. Apptainer's
 * spellings work: the positional output file, `--arch`/`--arch-variant`,
 * `--dir`, `--disable-cache`, `--tmpdir`, `--authfile` and `-F`.
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import { resolve } from "node:path";
import { runPull } from "../api/pull.ts";
import { UsageError } from "../errors.ts";
import { parsePlatform, type Platform } from "../image/platform.ts";
import type { CliContext } from "./context.ts";
import { print } from "./output.ts";
import { Progress } from "./progress.ts";
import { handleInterrupts } from "./interrupt.ts";
import { checkFolderOption, checkPullConflicts, outputAndReference } from "./pull_args.ts";

type PullFlags = {
  name?: string;
  platform?: string;
  arch?: string;
  archVariant?: string;
  F?: boolean;
  force?: boolean;
  dir?: string;
  tmpdir?: string;
  authfile?: string;
  disableCache?: boolean;
};

/** `--platform`, or `--arch` with `--arch-variant` (as apptainer), or nothing. */
function platformOf(opts: PullFlags): Platform | undefined {
  if (opts.archVariant !== undefined && opts.arch === undefined && !opts.platform) {
    throw new UsageError(
      "Cannot pull: --arch-variant needs --arch (e.g. --arch arm64 --arch-variant v8)",
    );
  }
  if (opts.arch === undefined) return opts.platform ? parsePlatform(opts.platform) : undefined;
  if (opts.platform) {
    throw new UsageError(
      `Cannot pull: --platform and --arch both name the platform: keep one (--platform linux/${opts.arch})`,
    );
  }
  const spec = `linux/${opts.arch}${opts.archVariant ? `/${opts.archVariant}` : ""}`;
  try {
    return parsePlatform(spec);
  } catch (e) {
    throw new UsageError(`Cannot pull: --arch ${opts.arch}: ${(e as Error).message}`);
  }
}

/** The settings a flag replaces for this run. */
function applySettingFlags(c: CliContext, opts: PullFlags): void {
  if (opts.tmpdir !== undefined) {
    const dir = resolve(opts.tmpdir);
    c.override({ tmpDir: dir, explicitTmpDir: dir });
  }
  if (opts.disableCache) c.override({ catalogueDisabled: true, layerCacheDisabled: true });
  if (opts.authfile !== undefined) {
    const secretsPath = resolve(opts.authfile);
    c.override({ dockerhub: { ...c.settings.dockerhub, secretsPath } });
  }
}

/** The folder of a file path ("." for a bare name). */
function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "." : path.slice(0, slash) || "/";
}

/** The `pull` command. */
export function pullCommand(ctx: () => CliContext): Command<[string], Record<string, unknown>> {
  return new Command("pull")
    .description("pull an image into a SIF file recorded in the catalogue, or a sandbox folder")
    .usage("[options] [OUT.sif] <reference>")
    .argument(
      "<reference>",
      "image reference (busybox:latest, docker://ghcr.io/org/img:1) or local source (oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:REF]); or OUT.sif, the output file, when a reference follows (apptainer pull OUT.sif REF)",
    )
    .argument("[reference-after-out]", "the reference, after OUT.sif")
    .option("-n, --name <file>", "write the SIF to this file (and record that path)")
    .option(
      "--dir <folder>",
      "write the SIF into this folder (as <image>_<tag>.sif without a name)",
    )
    .option("-f, --force", "rebuild even if the same image is already there (-F works too)")
    .addOption(new Option("-F", "same as --force (apptainer's spelling)").hideHelp())
    .option("--no-cache", "do not record in the catalogue; write to --name or ./<image>_<tag>.sif")
    .option(
      "--disable-cache",
      "no catalogue and no layer cache, as APPTAINER_DISABLE_CACHE: write to OUT.sif or ./<image>_<tag>.sif",
    )
    .option("--sandbox <dir>", "write only the root filesystem to this new folder (no SIF)")
    .option("--keep-sandbox <dir>", "build the SIF and also keep the unpacked root filesystem here")
    .option("--platform <os/arch[/variant]>", "platform to pull from a multi-platform image")
    .option("--arch <arch>", "architecture to pull (amd64, arm64, ...), as apptainer; os linux")
    .option("--arch-variant <variant>", "architecture variant with --arch (v7, v8, ...)")
    .addOption(
      new Option("--builder <builder>", "how to build the SIF").choices(
        ["auto", "native", "mksquashfs", "apptainer", "singularity"] as const,
      ).default("auto" as const),
    )
    .addOption(
      new Option(
        "--compression <algorithm>",
        "squashfs compression (native: gzip or zstd; lz4, xz with mksquashfs); default SREGISTRY_COMPRESSION, else gzip",
      ).choices(
        ["gzip", "zstd", "lz4", "xz"] as const,
      ),
    )
    .option(
      "--tmpdir <folder>",
      "temporary folder for this pull (over SREGISTRY_TMPDIR, APPTAINER_TMPDIR)",
    )
    .option("--authfile <file>", "docker config or auth.json file to read credentials from")
    .option("--sudo", "run apptainer/singularity build through sudo")
    .option("--no-https", "talk plain HTTP to the registry")
    .option("-j, --jobs <n>", "layers downloaded at once (default SREGISTRY_PYTHON_THREADS)")
    .option("--offline", "use only the blob cache; make no network request (SREGISTRY_OFFLINE)")
    .option(
      "--reference <ref>",
      "record a local source (oci:, oci-archive:, docker-archive:) under this reference",
    )
    .option("--no-blob-cache", "stream layers without keeping them in the blob cache")
    .action(async (first, second, opts) => {
      const flags = opts as PullFlags;
      const { reference, name } = outputAndReference(first, second, opts.name);
      const output = second === undefined
        ? (opts.name !== undefined ? `--name ${opts.name}` : undefined)
        : `the output file ${first}`;
      checkPullConflicts({ ...opts, name, sudo: opts.sudo === true }, output, reference);
      for (
        const [path, option] of [
          [opts.dir, "--dir"],
          [opts.tmpdir, "--tmpdir"],
          [opts.sandbox, "--sandbox"],
          [opts.keepSandbox, "--keep-sandbox"],
        ] as const
      ) if (path !== undefined) checkFolderOption(path, option);
      if (name !== undefined) {
        checkFolderOption(name, second === undefined ? "--name" : "OUT", true);
      }
      const platform = platformOf(flags);
      const c = ctx();
      applySettingFlags(c, flags);
      const jobs = opts.jobs === undefined ? undefined : Number(opts.jobs);
      if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) {
        throw new UsageError(
          `Cannot pull: --jobs must be a positive whole number, not "${opts.jobs}"`,
        );
      }
      c.addFolders([
        { path: name ? dirOf(name) : "", variable: "--name" },
        { path: opts.dir ?? "", variable: "--dir" },
        { path: opts.sandbox ?? "", variable: "--sandbox" },
        { path: opts.keepSandbox ?? "", variable: "--keep-sandbox" },
      ]);
      using _interrupts = handleInterrupts(reference);
      using progress = Progress.forStderr(c.env, c.global.quiet, c.global.debug);
      const result = await runPull(c, reference, {
        name,
        dir: opts.dir,
        force: opts.force || flags.F,
        noCache: opts.cache === false,
        sandbox: opts.sandbox,
        keepSandbox: opts.keepSandbox,
        platform,
        builder: opts.builder,
        compression: opts.compression,
        sudo: opts.sudo,
        noHttps: opts.https === false,
        jobs,
        offline: opts.offline,
        reference: opts.reference,
        blobCache: opts.blobCache,
        onEvent: progress.handle,
      });
      progress.finish();
      print(result.path);
    }) as unknown as Command<[string], Record<string, unknown>>;
}
