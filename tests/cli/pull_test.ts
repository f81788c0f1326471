import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { pushTwoArchIndex } from "../_multiarch.ts";
import { buildImage } from "../_images.ts";
import { pushImage, startRegistry } from "../_registry.ts";
import { diffTrees, snapshotTree } from "../_tree.ts";
import { umociUnpack, writeOciLayout } from "../_oci_layout.ts";
import { LAYER_CASES } from "../_layer_cases.ts";

const LAYERS = [
  {
    entries: [
      { name: "etc", type: "directory" as const },
      { name: "etc/os-release", content: "NAME=test\n" },
      { name: "bin", type: "directory" as const },
      { name: "bin/tool", content: "#!/bin/sh\necho tool\n", mode: 0o755 },
      { name: "gone.txt", content: "removed later\n" },
    ],
    compression: "gzip" as const,
  },
  {
    entries: [
      { name: ".wh.gone.txt" },
      { name: "etc/motd", content: "hello from layer 2\n" },
    ],
    compression: "zstd" as const,
  },
];

Deno.test("sregistry pull builds a SIF, records it, and a second pull only sends a HEAD", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const image = await buildImage({
    layers: LAYERS,
    config: { Env: ["PATH=/bin", 'GREETING=it\'s "quoted" $HOME'], Entrypoint: ["/bin/tool"] },
  });
  await pushImage(reg, "test/img", "v1", image);
  const ref = `${reg.host}/test/img:v1`;

  const first = await home.run(["pull", ref]);
  assertEquals(first.code, 0, first.stderr);
  const path = first.stdout.trim();
  assertEquals(
    path,
    `${home.home}/.singularity/shub/${reg.host}/test/img/v1@${image.manifest.digest}.sif`,
  );
  const sif = await new Deno.Command("siftool", { args: ["list", path] }).output();
  assertStringIncludes(new TextDecoder().decode(sif.stdout), "FS (Squashfs/*System/amd64)");

  const get = await home.run(["get", ref]);
  assertEquals(get.stdout, path + "\n");
  const before = (await reg.requests()).length;

  const second = await home.run(["pull", ref]);
  assertEquals(second.code, 0, second.stderr);
  assertEquals(second.stdout.trim(), path);
  const after = (await reg.requests()).slice(before).filter((r) => r.path !== "/v2/");
  assertEquals(after.map((r) => r.method), ["HEAD"], JSON.stringify(after));

  const images = await home.run(["images", "--json"]);
  const records = JSON.parse(images.stdout);
  assertEquals(records.length, 1);
  assertEquals(records[0].manifestDigest, image.manifest.digest);
  // No sandbox or temp files remain.
  const tmp = [...Deno.readDirSync(`${home.home}/tmp`)];
  assertEquals(tmp, []);
});

Deno.test("sregistry pull --sandbox of a Docker schema2 image equals umoci raw unpack", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const image = await buildImage({ layers: LAYERS, format: "docker" });
  await pushImage(reg, "test/sandbox", "latest", image);
  const out = `${home.home}/sandbox`;
  const result = await home.run(["pull", "--sandbox", out, `${reg.host}/test/sandbox`]);
  assertEquals(result.code, 0, result.stderr);
  // umoci reads OCI manifests only: the same layers as an OCI image.
  const layout = `${home.home}/layout`;
  await writeOciLayout(layout, await buildImage({ layers: LAYERS, format: "oci" }), "latest");
  const rootfs = await umociUnpack(layout, "latest", `${home.home}/umoci`);
  const diff = diffTrees(await snapshotTree(out), await snapshotTree(rootfs));
  assertEquals(diff, []);
});

Deno.test("sregistry pull picks the platform from an index and skips attestations", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  await pushTwoArchIndex(reg, "test/multi", { attestations: true });

  for (const [platform, want] of [[undefined, "amd64\n"], ["linux/arm64", "arm64\n"]]) {
    const dir = `${home.home}/sb-${want!.trim()}`;
    const args = ["pull", "--sandbox", dir, `${reg.host}/test/multi`];
    if (platform) args.push("--platform", platform);
    const result = await home.run(args);
    assertEquals(result.code, 0, result.stderr);
    assertEquals(Deno.readTextFileSync(`${dir}/arch`), want);
  }
  const bad = await home.run([
    "pull",
    "--sandbox",
    `${home.home}/x`,
    "--platform",
    "linux/s390x",
    `${reg.host}/test/multi`,
  ]);
  assertEquals(bad.code, 1);
  assertStringIncludes(bad.stderr, "linux/arm64");
  assert(!bad.stderr.includes("unknown/unknown"), bad.stderr);
});

Deno.test("sregistry pull --sandbox of layers with every whiteout, hardlink and long-name case equals umoci", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const image = await buildImage({ layers: LAYER_CASES, format: "oci" });
  await pushImage(reg, "test/cases", "v1", image);
  const out = `${home.home}/sandbox`;
  const result = await home.run(["pull", "--sandbox", out, `${reg.host}/test/cases:v1`]);
  assertEquals(result.code, 0, result.stderr);
  await writeOciLayout(`${home.home}/layout`, image, "v1");
  const rootfs = await umociUnpack(`${home.home}/layout`, "v1", `${home.home}/umoci`);
  const ours = await snapshotTree(out);
  assertEquals(diffTrees(await snapshotTree(rootfs), ours), []);
  assert(ours.size > 20, `only ${ours.size} entries`);
});

Deno.test("a default pull (no SREGISTRY_TMPDIR) leaves only the blob cache and the SIF", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  await pushImage(reg, "test/clean", "v1", await buildImage({ layers: LAYERS }));
  const work = (dir: string) => {
    try {
      return [...Deno.readDirSync(dir)].filter((e) => e.name.startsWith("sregistry-work-"))
        .map((e) => e.name);
    } catch {
      return [];
    }
  };
  const before = [...work("/dev/shm"), ...work("/tmp")];
  const env = { ...home.env, SREGISTRY_TMPDIR: "" };
  const result = await home.run(["pull", `${reg.host}/test/clean:v1`], { env });
  assertEquals(result.code, 0, result.stderr);
  assertEquals([...work("/dev/shm"), ...work("/tmp")], before);
  const top = [...Deno.readDirSync(`${home.home}/.singularity`)].map((e) => e.name);
  const allowed = ["oci", "shub", "sregistry.db", "sregistry.db-shm", "sregistry.db-wal"];
  assertEquals(top.filter((n) => !allowed.includes(n)), []);
  for (const needed of ["oci", "shub", "sregistry.db"]) assert(top.includes(needed), needed);
});

Deno.test("sregistry pull --keep-sandbox builds the SIF and keeps the unpacked tree", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  await pushImage(reg, "test/keep", "v1", await buildImage({ layers: LAYERS }));
  const keep = `${home.home}/kept`;
  const result = await home.run(["pull", "--keep-sandbox", keep, `${reg.host}/test/keep:v1`]);
  assertEquals(result.code, 0, result.stderr);
  assert(Deno.statSync(result.stdout.trim()).isFile);
  assertEquals(Deno.readTextFileSync(`${keep}/etc/motd`), "hello from layer 2\n");
  assert(Deno.statSync(`${keep}/.singularity.d/runscript`).isFile);
});
