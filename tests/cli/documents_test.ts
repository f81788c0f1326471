/**
 * Malformed JSON documents (issue 13) through the CLI, as a user meets them:
 * a registry image whose config blob is `null` or not JSON, and docker
 * archives whose manifest.json lacks `Config` or has `Layers` that is not a
 * list. Each must exit 1 with a message naming the document, the JSON path
 * and what to do, never a raw TypeError or SyntaxError, and leave no image
 * and no record behind.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { blob, buildImage, type BuiltImage, MEDIA } from "../_images.ts";
import { pushImage, startRegistry } from "../_registry.ts";
import { buildTar } from "../_tar.ts";

const RAW = /TypeError|SyntaxError|RangeError|Cannot read properties|Unexpected token/;

/** A one-layer image whose config blob is `configBytes` (the manifest points at it). */
async function imageWithConfig(configBytes: Uint8Array): Promise<BuiltImage> {
  const image = await buildImage({ layers: [{ entries: [{ name: "a.txt", content: "a\n" }] }] });
  const config = blob(MEDIA.dockerConfig, configBytes);
  const doc = JSON.parse(new TextDecoder().decode(image.manifest.bytes));
  doc.config = { mediaType: config.mediaType, digest: config.digest, size: config.size };
  return { ...image, config, manifest: blob(image.manifest.mediaType, doc) };
}

function sifsUnder(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(d)];
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory) walk(`${d}/${e.name}`);
      else if (e.name.includes(".sif")) found.push(`${d}/${e.name}`);
    }
  };
  walk(dir);
  return found;
}

const BAD_CONFIGS = [
  { name: "null", bytes: "null", says: "$ is null, expected an object" },
  { name: "not JSON", bytes: "{architecture: amd64", says: "is not JSON at line 1" },
  {
    name: "rootfs.diff_ids not a list",
    bytes: JSON.stringify({
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: "sha256:x" },
    }),
    says: "$.rootfs.diff_ids is a string, expected an array",
  },
];

Deno.test("sregistry pull of an image whose config is malformed exits 1 naming the config and the path", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  for (const c of BAD_CONFIGS) {
    const image = await imageWithConfig(new TextEncoder().encode(c.bytes));
    const tag = c.name.replace(/[^a-z]+/g, "-");
    await pushImage(reg, "test/badconfig", tag, image);
    const ref = `${reg.host}/test/badconfig:${tag}`;
    const out = await home.run(["pull", "--no-https", ref]);
    assertEquals(out.code, 1, `${c.name}: ${out.stderr}`);
    assertStringIncludes(out.stderr, "Cannot read the image config");
    assertStringIncludes(out.stderr, image.config.digest, c.name);
    assertStringIncludes(out.stderr, c.says, c.name);
    assertStringIncludes(out.stderr, "report it to the image's maintainer");
    assert(!RAW.test(out.stderr), out.stderr);
    assertEquals(out.stdout, "");
  }
  assertEquals(sifsUnder(home.home), []);
  const images = await home.run(["images", "--json"]);
  assertEquals(JSON.parse(images.stdout), []);
});

/** A docker-save archive with `manifest` as its manifest.json and one valid image in it. */
async function dockerArchive(path: string, manifest: unknown): Promise<void> {
  const image = await buildImage({
    layers: [{ entries: [{ name: "a.txt", content: "a\n" }], compression: "none" }],
  });
  const hex = image.config.digest.slice(7);
  Deno.writeFileSync(
    path,
    buildTar([
      { name: "manifest.json", content: JSON.stringify(manifest) },
      { name: `${hex}.json`, content: image.config.bytes },
      { name: "layer/layer.tar", content: image.tars[0] },
    ]),
  );
}

const BAD_ARCHIVES = [
  {
    name: "manifest.json without Config",
    manifest: [{ RepoTags: ["x:1"], Layers: ["layer/layer.tar"] }],
    says: "$[0].Config is missing",
  },
  {
    name: "Layers not a list",
    manifest: [{ Config: "c.json", RepoTags: ["x:1"], Layers: "layer/layer.tar" }],
    says: "$[0].Layers is a string, expected an array",
  },
  { name: "manifest.json null", manifest: null, says: "$ is null, expected an array" },
];

Deno.test("sregistry pull docker-archive: with a malformed manifest.json exits 1 naming the path", async () => {
  await using home = await cliHome();
  for (const c of BAD_ARCHIVES) {
    const file = `${home.home}/bad.tar`;
    await dockerArchive(file, c.manifest);
    const out = await home.run(["pull", `docker-archive:${file}`]);
    assertEquals(out.code, 1, `${c.name}: ${out.stderr}`);
    assertStringIncludes(out.stderr, `Cannot read the manifest.json of the docker archive ${file}`);
    assertStringIncludes(out.stderr, c.says, c.name);
    assertStringIncludes(out.stderr, 'give a file written by "docker save"');
    assert(!RAW.test(out.stderr), out.stderr);
  }
  assertEquals(sifsUnder(home.home), []);
});
