// deno-lint-ignore-file no-console
/**
 * `deno task bench`: times sregistry against the Apptainer-style pipeline
 * (skopeo copy → umoci raw unpack → mksquashfs -comp gzip → siftool) on the
 * same machine, in one run, alternating the contenders, and prints times,
 * ratios, SIF sizes and sregistry's peak memory.
 *
 *   deno task bench            # the ~170 MB, four-layer benchmark image
 *   deno task bench --small    # a tiny image: checks that the benchmark works (CI)
 *   deno task bench --runs 3   # rounds (default 2)
 *   deno task bench --size 2000  # scale: one-layer images of 500, 1000, 2000 MB
 *   deno task bench --compression zstd  # sregistry's images in zstd (the pipeline stays gzip)
 *   deno task bench --files 300000  # memory: one layer of that many small files, pulled cold
 * @module
 */
import { buildImage } from "../tests/_images.ts";
import { pushImage, startRegistry } from "../tests/_registry.ts";
import { DENO_DIR, RUN_FLAGS } from "../tests/_cli.ts";
import { pushManyFilesImage, pushScaleImage } from "./_bench_scale.ts";
import { benchLayers } from "./_bench_image.ts";
import { makeSetups } from "./_bench_setups.ts";

const args = Deno.args;
const small = args.includes("--small");
const runs = Number(args[args.indexOf("--runs") + 1]) || 2;
const scaleMb = args.includes("--size") ? Number(args[args.indexOf("--size") + 1]) : undefined;
const fileCount = args.includes("--files") ? Number(args[args.indexOf("--files") + 1]) : undefined;
const compression = args.includes("--compression")
  ? args[args.indexOf("--compression") + 1]
  : "gzip";
const MAIN = new URL("../main.ts", import.meta.url).pathname;

interface Timing {
  seconds: number;
  maxRssKb?: number;
}

/** Writes back what earlier runs left dirty, so no run pays for the one before (not timed). */
async function settle(): Promise<void> {
  await new Deno.Command("sync").output();
}

async function timed(
  cmd: string,
  cmdArgs: string[],
  env?: Record<string, string>,
): Promise<Timing> {
  const start = performance.now();
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "%M", cmd, ...cmdArgs],
    env,
    stdout: "null",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - start) / 1000;
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${cmd} ${cmdArgs.join(" ")} failed:\n${stderr}`);
  const maxRssKb = Number(stderr.trim().split("\n").pop());
  return { seconds, maxRssKb };
}

function sregistry(env: Record<string, string>, ...cliArgs: string[]): Promise<Timing> {
  return timed(Deno.execPath(), ["run", "--quiet", ...RUN_FLAGS, MAIN, ...cliArgs], {
    DENO_DIR,
    ...env,
  });
}

async function pipeline(
  ref: string,
  dir: string,
  withSif: boolean,
): Promise<{ t: Timing; sif?: string }> {
  Deno.mkdirSync(dir, { recursive: true });
  const start = performance.now();
  const step = (cmd: string, a: string[]) => timed(cmd, a);
  await step("skopeo", [
    "copy",
    "--quiet",
    "--src-tls-verify=false",
    `docker://${ref}`,
    `oci:${dir}/layout:bench`,
  ]);
  await step("umoci", ["raw", "unpack", "--image", `${dir}/layout:bench`, `${dir}/rootfs`]);
  let sif: string | undefined;
  if (withSif) {
    await step("mksquashfs", [
      `${dir}/rootfs`,
      `${dir}/root.sqfs`,
      "-noappend",
      "-comp",
      "gzip",
      "-no-progress",
    ]);
    sif = `${dir}/image.sif`;
    await step("siftool", ["new", sif]);
    await step("siftool", [
      "add",
      "--datatype",
      "4",
      "--parttype",
      "2",
      "--partfs",
      "1",
      "--partarch",
      "2",
      "--groupid",
      "1",
      sif,
      `${dir}/root.sqfs`,
    ]);
  }
  return { t: { seconds: (performance.now() - start) / 1000 }, sif };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<void> {
  // Deno reads /proc/cpuinfo only with --allow-all; ask grep.
  const cpuinfo = await new Deno.Command("grep", { args: ["-m1", "model name", "/proc/cpuinfo"] })
    .output();
  const cpuModel = new TextDecoder().decode(cpuinfo.stdout).split(":")[1]?.trim();
  console.log(
    `machine: ${navigator.hardwareConcurrency} CPUs (${
      cpuModel ?? "unknown"
    }), ${Deno.build.os}/${Deno.build.arch}, deno ${Deno.version.deno}`,
  );
  await using reg = await startRegistry();
  const image = await buildImage({ layers: benchLayers(small), format: "oci" });
  const uncompressed = image.tars.reduce((n, t) => n + t.length, 0);
  const compressed = image.layers.reduce((n, l) => n + l.size, 0);
  await pushImage(reg, "bench/image", "latest", image);
  const ref = `${reg.host}/bench/image:latest`;
  console.log(
    `image: ${image.layers.length} layers, ${(uncompressed / 1e6).toFixed(1)} MB uncompressed, ${
      (compressed / 1e6).toFixed(1)
    } MB compressed`,
  );

  const root = await Deno.makeTempDir({ prefix: "sregistry-bench-" });
  const setups = makeSetups(root);
  const times: Record<string, number[]> = {
    ...Object.fromEntries(setups.slice(1).map((s) => [`cold, ${s.name}`, []])),
    cold: [],
    warm: [],
    sandbox: [],
    pipeline: [],
    unpack: [],
  };
  const rss: Record<string, number[]> = { cold: [], warm: [], sandbox: [] };
  let sifSize = 0;
  let pipelineSifSize = 0;
  try {
    for (let round = 0; round < runs; round++) {
      const home = `${root}/home${round}`;
      const env = {
        HOME: home,
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        SREGISTRY_DOCKERHUB_NOHTTPS: "yes",
        SREGISTRY_COMPRESSION: compression,
      };
      await settle();
      const cold = await sregistry(env, "--quiet", "pull", ref);
      times.cold.push(cold.seconds);
      rss.cold.push(cold.maxRssKb ?? 0);
      const others: string[] = [];
      for (const setup of setups.slice(1)) {
        await settle();
        const t = await sregistry(
          { ...env, HOME: `${home}-${setup.name.replaceAll(" ", "-")}`, PATH: setup.path },
          "--quiet",
          "pull",
          ref,
        ).catch((e: Error) => {
          others.push(`${setup.name} failed: ${e.message.split("\n")[1]}`);
          return undefined;
        });
        if (!t) continue;
        times[`cold, ${setup.name}`].push(t.seconds);
        rss.cold.push(t.maxRssKb ?? 0);
        others.push(`${setup.name} ${t.seconds.toFixed(2)}s`);
      }
      await settle();
      const pipe = await pipeline(ref, `${root}/pipe${round}`, true);
      times.pipeline.push(pipe.t.seconds);
      pipelineSifSize = Deno.statSync(pipe.sif!).size;
      await settle();
      const warm = await sregistry(env, "--quiet", "pull", ref);
      times.warm.push(warm.seconds);
      rss.warm.push(warm.maxRssKb ?? 0);
      const sif = [...Deno.readDirSync(`${home}/.singularity/shub/${reg.host}/bench/image`)][0];
      sifSize = Deno.statSync(`${home}/.singularity/shub/${reg.host}/bench/image/${sif.name}`).size;
      const sandboxHome = { ...env, HOME: `${home}-sb` };
      await settle();
      const sb = await sregistry(
        sandboxHome,
        "--quiet",
        "pull",
        "--sandbox",
        `${root}/sandbox${round}`,
        ref,
      );
      times.sandbox.push(sb.seconds);
      rss.sandbox.push(sb.maxRssKb ?? 0);
      await settle();
      const unpack = await pipeline(ref, `${root}/unpack${round}`, false);
      times.unpack.push(unpack.t.seconds);
      console.log(
        `round ${round + 1}: cold ${cold.seconds.toFixed(2)}s (${others.join(", ")}), pipeline ${
          pipe.t.seconds.toFixed(2)
        }s, warm ${warm.seconds.toFixed(2)}s, sandbox ${sb.seconds.toFixed(2)}s, skopeo+umoci ${
          unpack.t.seconds.toFixed(2)
        }s`,
      );
    }
  } finally {
    await new Deno.Command("chmod", { args: ["-R", "u+rwX", root] }).output();
    await Deno.remove(root, { recursive: true });
  }
  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  const peak = (k: string) => (Math.max(...rss[k]) / 1024).toFixed(0);
  console.log(
    "\nmedians (s):",
    Object.entries(m).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", "),
  );
  // Each round runs both sides back to back, so they share the machine's mood:
  // the median of the per-round ratios is steadier than the ratio of medians.
  console.log("ratios: median of each round's ratio (ratio of the medians):");
  const ratio = (a: string, b: string, label: string, target: string) => {
    if (times[a].length < times[b].length) {
      console.log(`${label.padEnd(31)} failed in ${times[b].length - times[a].length} rounds`);
      return;
    }
    const paired = median(times[a].map((t, i) => t / times[b][i]));
    console.log(
      `${label.padEnd(31)} ${paired.toFixed(3)}x (${
        (m[a] / m[b]).toFixed(3)
      }x; target <= ${target})`,
    );
  };
  ratio("cold", "pipeline", "cold pull / pipeline:", "0.25");
  for (const setup of setups.slice(1)) {
    ratio(`cold, ${setup.name}`, "pipeline", `  ${setup.name}:`, "0.25");
  }
  ratio("warm", "pipeline", "warm pull / pipeline:", "0.05");
  ratio("sandbox", "unpack", "pull --sandbox / skopeo+umoci:", "0.7");
  console.log(
    `${`SIF size (${compression}) / pipeline's:`.padEnd(31)} ${
      (sifSize / pipelineSifSize).toFixed(3)
    }x (${sifSize} vs ${pipelineSifSize} bytes; target <= 1.10)`,
  );
  console.log(
    `peak memory (MB):               cold ${peak("cold")}, warm ${peak("warm")}, sandbox ${
      peak("sandbox")
    } (target < 256)`,
  );
}

async function scale(maxMb: number): Promise<void> {
  await using reg = await startRegistry();
  const root = await Deno.makeTempDir({ prefix: "sregistry-bench-scale-" });
  try {
    for (const mb of [maxMb / 4, maxMb / 2, maxMb].map(Math.round)) {
      const compressed = await pushScaleImage(reg, "bench/scale", `${mb}mb`, mb * 1e6);
      const env = {
        HOME: `${root}/home-${mb}`,
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        SREGISTRY_DOCKERHUB_NOHTTPS: "yes",
        SREGISTRY_TMPDIR: `${root}/tmp`,
      };
      const t = await sregistry(env, "--quiet", "pull", `${reg.host}/bench/scale:${mb}mb`);
      console.log(
        `${mb} MB layer (${(compressed / 1e6).toFixed(0)} MB compressed): ${
          t.seconds.toFixed(2)
        } s, ${(mb / t.seconds).toFixed(0)} MB/s, peak memory ${
          ((t.maxRssKb ?? 0) / 1024).toFixed(0)
        } MB`,
      );
      await new Deno.Command("rm", { args: ["-rf", env.HOME, env.SREGISTRY_TMPDIR] }).output();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** Peak memory of a cold pull of one layer holding `count` small files. */
async function manyFiles(count: number): Promise<void> {
  await using reg = await startRegistry();
  const root = await Deno.makeTempDir({ prefix: "sregistry-bench-files-" });
  try {
    const compressed = await pushManyFilesImage(reg, "bench/files", `${count}`, count);
    const env = {
      HOME: `${root}/home`,
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      SREGISTRY_DOCKERHUB_NOHTTPS: "yes",
      SREGISTRY_TMPDIR: `${root}/tmp`,
    };
    const t = await sregistry(env, "--quiet", "pull", `${reg.host}/bench/files:${count}`);
    console.log(
      `${count} files (${(compressed / 1e6).toFixed(1)} MB compressed): ${
        t.seconds.toFixed(2)
      } s, peak memory ${((t.maxRssKb ?? 0) / 1024).toFixed(0)} MB (target < 256)`,
    );
  } finally {
    await new Deno.Command("rm", { args: ["-rf", root] }).output();
  }
}

if (import.meta.main) {
  if (scaleMb) await scale(scaleMb);
  else if (fileCount) await manyFiles(fileCount);
  else await main();
}
