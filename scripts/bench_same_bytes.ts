// deno-lint-ignore-file no-console
/**
 * Checks that two checkouts of sregistry build the same SIF, byte for byte:
 * pushes the benchmark image (`_bench_image.ts`) and, optionally, one layer of
 * many small files (`--files N`) to a local registry, pulls each with every
 * checkout given (SOURCE_DATE_EPOCH fixed, empty cache, storage and
 * catalogue), and compares the SIFs' SHA-256. Exits 1 when they differ. For a
 * change that must not change the image (a faster or smaller writer):
 *
 *   git worktree add /tmp/before main   # or: git archive main | tar -x -C /tmp/before
 *   deno run -A scripts/bench_same_bytes.ts /tmp/before . --files 300000
 * @module
 */
import { createHash } from "node:crypto";
import { buildImage } from "../tests/_images.ts";
import { pushImage, startRegistry } from "../tests/_registry.ts";
import { DENO_DIR, RUN_FLAGS } from "../tests/_cli.ts";
import { benchLayers } from "./_bench_image.ts";
import { pushManyFilesImage } from "./_bench_scale.ts";

const args = [...Deno.args];
const at = args.indexOf("--files");
const files = at >= 0 ? Number(args.splice(at, 2)[1]) : undefined;
if (args.length < 2 || (files !== undefined && !(files > 0))) {
  console.error("usage: bench_same_bytes.ts CHECKOUT CHECKOUT... [--files N]");
  Deno.exit(2);
}

/** The SHA-256 (hex) of the SIF `checkout` builds from `ref`. */
async function sifDigest(checkout: string, ref: string): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "sregistry-same-bytes-" });
  try {
    const main = `${await Deno.realPath(checkout)}/main.ts`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...RUN_FLAGS, main, "--quiet", "pull", ref],
      env: {
        HOME: `${root}/home`,
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        SREGISTRY_DOCKERHUB_NOHTTPS: "yes",
        SREGISTRY_TMPDIR: `${root}/tmp`,
        SOURCE_DATE_EPOCH: "1700000000",
        DENO_DIR,
      },
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(`${main} failed:\n${new TextDecoder().decode(out.stderr)}`);
    const found = new Deno.Command("find", { args: [`${root}/home`, "-name", "*.sif"] });
    const sif = new TextDecoder().decode(found.outputSync().stdout).trim().split("\n")[0];
    const hash = createHash("sha256");
    for await (const chunk of (await Deno.open(sif)).readable) hash.update(chunk);
    return hash.digest("hex");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

await using reg = await startRegistry();
const refs = [`${reg.host}/bench/image:latest`];
await pushImage(reg, "bench/image", "latest", await buildImage({ layers: benchLayers(false) }));
if (files !== undefined) {
  await pushManyFilesImage(reg, "bench/files", `${files}`, files);
  refs.push(`${reg.host}/bench/files:${files}`);
}
let same = true;
for (const ref of refs) {
  const digests: string[] = [];
  for (const checkout of args) digests.push(await sifDigest(checkout, ref));
  const agree = digests.every((d) => d === digests[0]);
  same &&= agree;
  console.log(`${ref}: ${agree ? "same bytes" : "DIFFERENT"}`);
  args.forEach((checkout, i) => console.log(`  ${digests[i]}  ${checkout}`));
}
Deno.exitCode = same ? 0 : 1;
