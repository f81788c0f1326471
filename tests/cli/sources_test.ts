/**
 * Local sources and offline pulls (issue 8): the same image from the registry,
 * from an OCI layout, an oci-archive and a docker-archive made by skopeo gives
 * the same root filesystem and catalogue record; --offline uses only the cache.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome, RUN_FLAGS } from "../_cli.ts";
import { buildImage } from "../_images.ts";
import { pushImage, startRegistry } from "../_registry.ts";
import { diffTrees, snapshotTree } from "../_tree.ts";

async function skopeo(...args: string[]): Promise<void> {
  const out = await new Deno.Command("skopeo", { args, stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`skopeo ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

const IMAGE = () =>
  buildImage({
    layers: [
      {
        entries: [
          { name: "etc", type: "directory" },
          { name: "etc/hostname", content: "box\n" },
          { name: "bin", type: "directory" },
          { name: "bin/sh", type: "symlink", linkname: "/bin/busybox" },
          { name: "old", content: "old\n" },
        ],
      },
      { entries: [{ name: ".wh.old" }, { name: "etc/motd", content: "hi\n", mode: 0o600 }] },
    ],
    config: { Env: ["PATH=/bin"], Cmd: ["/bin/sh"], Labels: { team: "hpc" } },
  });

Deno.test("pull from oci:, oci-archive: and docker-archive: gives the registry pull's rootfs and record", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  await pushImage(reg, "test/src", "v1", await IMAGE());
  const ref = `${reg.host}/test/src:v1`;
  const dir = home.home;
  await skopeo(
    "copy",
    "--quiet",
    "--src-tls-verify=false",
    `docker://${ref}`,
    `oci:${dir}/layout:v1`,
  );
  await skopeo(
    "copy",
    "--quiet",
    "--src-tls-verify=false",
    `docker://${ref}`,
    `oci-archive:${dir}/image.oci.tar:v1`,
  );
  await skopeo(
    "copy",
    "--quiet",
    "--src-tls-verify=false",
    `docker://${ref}`,
    `docker-archive:${dir}/image.docker.tar:${ref}`,
  );

  const sources = {
    registry: [ref],
    oci: [`oci:${dir}/layout:v1`, "--reference", ref],
    ociArchive: [`oci-archive:${dir}/image.oci.tar:v1`, "--reference", ref],
    dockerArchive: [`docker-archive:${dir}/image.docker.tar`],
  };
  const trees = new Map<string, Awaited<ReturnType<typeof snapshotTree>>>();
  const records = new Map<string, Record<string, unknown>>();
  for (const [name, args] of Object.entries(sources)) {
    const sandbox = `${dir}/sb-${name}`;
    const sb = await home.run(["pull", "--sandbox", sandbox, ...args]);
    assertEquals(sb.code, 0, `${name}: ${sb.stderr}`);
    trees.set(name, await snapshotTree(sandbox));
    // A SIF pull into a catalogue of its own.
    const env = { SREGISTRY_DATABASE: `${dir}/db-${name}`, SREGISTRY_STORAGE: `${dir}/st-${name}` };
    const sif = await home.run(["pull", ...args], { env });
    assertEquals(sif.code, 0, `${name}: ${sif.stderr}`);
    const inspect = await home.run(["inspect", ref], { env });
    assertEquals(inspect.code, 0, `${name}: ${inspect.stderr}`);
    records.set(name, JSON.parse(inspect.stdout));
  }
  const base = trees.get("registry")!;
  assert(base.has("etc/motd") && !base.has("old"), "the whiteout was applied");
  for (const [name, tree] of trees) assertEquals(diffTrees(base, tree), [], name);

  const same = (r: Record<string, unknown>) => ({
    registry: r.registry,
    collection: r.collection,
    name: r.name,
    tag: r.tag,
    platform: r.platform,
    config: (r.config as { config: unknown }).config,
  });
  const reference = records.get("registry")!;
  for (const [name, r] of records) {
    assertEquals(same(r), same(reference), name);
    assert(String(r.source).length > 0, `${name} records its source`);
  }
  // skopeo keeps OCI manifests as they are, so the digests match too.
  assertEquals(records.get("oci")!.manifestDigest, reference.manifestDigest);
  assertEquals(records.get("ociArchive")!.manifestDigest, reference.manifestDigest);
  assertStringIncludes(String(records.get("dockerArchive")!.source), "docker-archive:");
});

Deno.test("pull --offline works from the cache with the registry stopped and never touches the network", async () => {
  await using home = await cliHome();
  let ref: string;
  {
    await using reg = await startRegistry();
    await pushImage(reg, "test/offline", "v1", await IMAGE());
    ref = `${reg.host}/test/offline:v1`;
    const first = await home.run(["pull", ref]);
    assertEquals(first.code, 0, first.stderr);
  }
  const noNet = RUN_FLAGS.filter((f) => !f.startsWith("--allow-net"));
  const again = await home.run(["pull", "--offline", "--force", ref], { flags: noNet });
  assertEquals(again.code, 0, again.stderr);
  const viaEnv = await home.run(["pull", "--force", ref], {
    flags: noNet,
    env: { SREGISTRY_OFFLINE: "yes" },
  });
  assertEquals(viaEnv.code, 0, viaEnv.stderr);
  const missing = await home.run(["pull", "--offline", ref.replace(":v1", ":v2")], {
    flags: noNet,
  });
  assertEquals(missing.code, 1);
  assertStringIncludes(missing.stderr, ref.replace(":v1", ":v2"));
  assertStringIncludes(missing.stderr, "not in the cache");
  assert(!missing.stderr.includes("NotCapable"), missing.stderr);
});
