/**
 * `sregistry pull REF`: the main job.
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import { UsageError } from "../errors.ts";
import { pull } from "../pull/pull.ts";
import { openSource } from "../pull/sources.ts";
import { temporaryDir } from "../pull/temp.ts";
import { parsePlatform } from "../registry/platform.ts";
import type { CliContext } from "./context.ts";
import { print } from "./output.ts";
import { Progress } from "./progress.ts";
import { handleInterrupts } from "./interrupt.ts";

/** The folder of a file path ("." for a bare name). */
function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "." : path.slice(0, slash) || "/";
}

/** The `pull` command. */
export function pullCommand(ctx: () => CliContext): Command<[string], Record<string, unknown>> {
  return new Command("pull")
    .description("pull an image into a SIF file recorded in the catalogue, or a sandbox folder")
    .argument(
      "<reference>",
      "image reference (busybox:latest, docker://ghcr.io/org/img:1) or local source (oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:REF])",
    )
    .option("-n, --name <file>", "write the SIF to this file (and record that path)")
    .option("-f, --force", "rebuild even if the same image is already there")
    .option("--no-cache", "do not record in the catalogue; write to --name or ./<image>_<tag>.sif")
    .option("--sandbox <dir>", "write only the root filesystem to this new folder (no SIF)")
    .option("--keep-sandbox <dir>", "build the SIF and also keep the unpacked root filesystem here")
    .option("--platform <os/arch[/variant]>", "platform to pull from a multi-platform image")
    .addOption(
      new Option("--builder <builder>", "how to build the SIF").choices(
        ["auto", "native", "apptainer", "singularity"] as const,
      ).default("auto" as const),
    )
    .addOption(
      new Option(
        "--compression <algorithm>",
        "squashfs compression (native builder); default SREGISTRY_COMPRESSION, else gzip",
      ).choices(
        ["gzip", "zstd", "lz4", "xz"] as const,
      ),
    )
    .option("--sudo", "run apptainer/singularity build through sudo")
    .option("--no-https", "talk plain HTTP to the registry")
    .option("-j, --jobs <n>", "layers downloaded at once (default SREGISTRY_PYTHON_THREADS)")
    .option("--offline", "use only the blob cache; make no network request (SREGISTRY_OFFLINE)")
    .option(
      "--reference <ref>",
      "record a local source (oci:, oci-archive:, docker-archive:) under this reference",
    )
    .option("--no-blob-cache", "stream layers without keeping them in the blob cache")
    .action(async (reference, opts) => {
      const c = ctx();
      const settings = c.settings;
      const jobs = opts.jobs === undefined ? settings.jobs : Number(opts.jobs);
      if (!Number.isInteger(jobs) || jobs < 1) {
        throw new UsageError(
          `Cannot pull: --jobs must be a positive whole number, not "${opts.jobs}"`,
        );
      }
      const offline = opts.offline || settings.offline;
      const cache = opts.blobCache === false && !offline ? undefined : c.blobCache();
      c.addFolders([
        { path: opts.name ? dirOf(opts.name) : "", variable: "--name" },
        { path: opts.sandbox ?? "", variable: "--sandbox" },
        { path: opts.keepSandbox ?? "", variable: "--keep-sandbox" },
      ]);
      using _interrupts = handleInterrupts(reference, cache);
      using progress = Progress.forStderr(c.env, c.global.quiet);
      await using work = await temporaryDir(settings.tmpDir);
      const { source, ref, headDigest } = await openSource(reference, {
        client: () => c.registryClient({ noHttps: opts.https === false, onEvent: progress.handle }),
        cache,
        workDir: () => Promise.resolve(work.path),
        offline,
        reference: opts.reference,
      });
      const result = await pull({
        ref,
        source,
        headDigest,
        platform: opts.platform ? parsePlatform(opts.platform) : undefined,
        sandbox: opts.sandbox,
        keepSandbox: opts.keepSandbox,
        name: opts.name,
        force: opts.force,
        noCache: opts.cache === false,
        builder: opts.builder,
        compression: opts.compression ?? settings.compression,
        sudo: opts.sudo,
      }, {
        cache,
        catalogue: opts.cache === false ? undefined : c.catalogue(),
        storageDir: settings.storageDir,
        tmpDir: settings.tmpDir,
        explicitTmpDir: c.env.SREGISTRY_TMPDIR || undefined,
        ramDir: c.env.XDG_RUNTIME_DIR || undefined,
        jobs,
        cmdOnly: settings.dockerCmd,
        maxLayerBytes: settings.maxLayerBytes,
        isRoot: Deno.uid() === 0,
        deterministic: c.env.SOURCE_DATE_EPOCH !== undefined,
        onEvent: progress.handle,
      });
      progress.finish();
      print(result.path);
    }) as unknown as Command<[string], Record<string, unknown>>;
}
