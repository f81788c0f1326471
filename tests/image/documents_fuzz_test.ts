/**
 * Seeded fuzz of every JSON document sregistry reads (issue 13): valid
 * documents from the tests' own builders (and /work/shared/fixtures when it
 * exists) are mutated (type swaps, nulls, deletions, huge numbers, deep
 * nesting, wrong digests, long arrays, unknown fields, truncation) and fed to
 * the entry point the tool uses. Each must succeed or throw the typed error
 * (DocumentError, or another SregistryError); a TypeError, RangeError or
 * SyntaxError must never escape. A failing seed reproduces with
 * `SREGISTRY_FUZZ_SEED`.
 */
import { DocumentError } from "../../src/document.ts";
import { SregistryError } from "../../src/errors.ts";
import { parseImageConfig } from "../../src/image/config.ts";
import { singularityMetadata } from "../../src/build/metadata.ts";
import { manifestDigest, ManifestError, parseManifest } from "../../src/registry/manifest.ts";
import { parseErrorBody } from "../../src/registry/errors.ts";
import { parseTagPage } from "../../src/registry/_headers.ts";
import { AuthSession } from "../../src/registry/auth.ts";
import { DockerArchiveSource } from "../../src/pull/archive_source.ts";
import { LayoutSource } from "../../src/pull/layout_source.ts";
import { readSecrets } from "../../src/config/secrets_file.ts";
import { decodeAuthEntry, parseAuthFile } from "../../src/config/_docker_config.ts";
import { parseHelperOutput } from "../../src/config/_cred_helper.ts";
import { lockIsStale } from "../../src/store/locks.ts";
import { BlobCache } from "../../src/store/blob_cache.ts";
import { assert } from "../_assert.ts";
import { blob, buildImage, buildIndex, MEDIA } from "../_images.ts";
import { writeOciLayout } from "../_oci_layout.ts";
import { rng } from "../_random.ts";
import { fuzzSeed, mutateJson } from "./_mutate.ts";

const ITERATIONS = 250;
const text = (b: { bytes: Uint8Array }) => new TextDecoder().decode(b.bytes);
const enc = (s: string) => new TextEncoder().encode(s);

/** Runs `f` on `ITERATIONS` mutations of the seeds; only `allowed` errors may come out. */
async function fuzz(
  name: string,
  seed: number,
  seeds: string[],
  f: (input: string, r: () => number) => unknown,
  allowed: (e: unknown) => boolean = (e) => e instanceof SregistryError,
): Promise<{ ok: number; refused: number }> {
  const r = rng(fuzzSeed(seed));
  const counts = { ok: 0, refused: 0 };
  for (let i = 0; i < ITERATIONS; i++) {
    const input = mutateJson(seeds[i % seeds.length], r);
    try {
      await f(input, r);
      counts.ok++;
    } catch (e) {
      assert(
        allowed(e),
        `${name} #${i} (seed ${fuzzSeed(seed)}): ${e instanceof Error ? e.stack : e}\ninput: ${
          input.slice(0, 300)
        }`,
      );
      counts.refused++;
    }
  }
  // The fuzz must exercise both outcomes, or it tests nothing.
  assert(counts.refused > 0, `${name}: nothing refused`);
  return counts;
}

const FIXTURES = new URL("../../../shared/fixtures/manifests/", import.meta.url);
function fixtureTexts(config: boolean): string[] {
  try {
    return [...Deno.readDirSync(FIXTURES)]
      .filter((e) => e.name.includes("config") === config)
      .map((e) => Deno.readTextFileSync(new URL(e.name, FIXTURES)));
  } catch {
    return []; // a clone without shared/
  }
}

const image = await buildImage({
  layers: [{ entries: [{ name: "a", content: "a\n" }], compression: "none" }],
  config: { Env: ["PATH=/bin"], Cmd: ["/bin/sh"], Entrypoint: null, Labels: { a: "b" } },
});
const dockerImage = await buildImage({ format: "docker", layers: [{ entries: [] }] });
const platform = { os: "linux", architecture: "amd64" };
const ociIndex = buildIndex([{ image, platform }], { attestations: true }).index;
const dockerList = buildIndex([{ image: dockerImage, platform }], { format: "docker" }).index;
const v1 = (extra: Record<string, unknown>) =>
  JSON.stringify({ os: "linux", container_config: { Cmd: ["sh"] }, config: {}, ...extra });
const schema1 = JSON.stringify({
  schemaVersion: 1,
  name: "a/b",
  tag: "1",
  architecture: "amd64",
  fsLayers: [{ blobSum: image.layers[0].digest }, { blobSum: image.layers[0].digest }],
  history: [{ v1Compatibility: v1({ created: "2020-01-01T00:00:00Z" }) }, {
    v1Compatibility: v1({ throwaway: true }),
  }],
});

Deno.test("parseManifest() fuzz: every manifest kind gives a manifest or a ManifestError", async () => {
  const seeds = [image.manifest, dockerImage.manifest, ociIndex, dockerList].map(text);
  seeds.push(schema1, ...fixtureTexts(false));
  const types: (string | null)[] = [
    null,
    MEDIA.ociManifest,
    MEDIA.dockerManifest,
    MEDIA.ociIndex,
    MEDIA.dockerList,
  ];
  types.push("application/vnd.docker.distribution.manifest.v1+json");
  await fuzz("manifest", 101, seeds, (input, r) => {
    const bytes = enc(input);
    const m = parseManifest(bytes, types[Math.floor(r() * types.length)]);
    manifestDigest(bytes, m.mediaType);
  }, (e) => e instanceof ManifestError);
});

Deno.test("parseImageConfig() fuzz: a config the metadata builder can use, or a DocumentError", async () => {
  await fuzz("config", 102, [text(image.config), ...fixtureTexts(true)], (input) => {
    const c = parseImageConfig(enc(input), "fuzz");
    singularityMetadata({
      config: { ...c.config, Env: c.config?.Env ?? undefined },
      from: "a/b:1",
      arch: c.architecture,
      variant: c.variant,
      created: c.created ?? "1970-01-01T00:00:00Z",
      baseDigest: image.manifest.digest,
    });
  }, (e) => e instanceof DocumentError && e.kind === "config");
});

Deno.test("DockerArchiveSource fuzz: manifest.json and config give an image or a typed error", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "sregistry-fuzz-" });
  try {
    const configName = `${image.config.digest.slice(7)}.json`;
    Deno.mkdirSync(`${dir}/layer`);
    Deno.writeFileSync(`${dir}/layer/layer.tar`, image.tars[0]);
    const manifest = JSON.stringify([
      { Config: configName, RepoTags: ["a/b:1"], Layers: ["layer/layer.tar"] },
    ]);
    await fuzz("docker-archive manifest.json", 103, [manifest], async (input) => {
      Deno.writeFileSync(`${dir}/${configName}`, image.config.bytes);
      Deno.writeTextFileSync(`${dir}/manifest.json`, input);
      await new DockerArchiveSource(dir, "x.tar").resolve();
    });
    Deno.writeTextFileSync(`${dir}/manifest.json`, manifest);
    await fuzz("docker-archive config", 104, [text(image.config)], async (input) => {
      Deno.writeTextFileSync(`${dir}/${configName}`, input);
      await new DockerArchiveSource(dir, "x.tar").resolve();
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("LayoutSource fuzz: index.json, oci-layout and blobs give an image or a typed error", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "sregistry-fuzz-" });
  try {
    await writeOciLayout(dir, image, "v1");
    const index = Deno.readTextFileSync(`${dir}/index.json`);
    await fuzz("layout index.json", 105, [index], async (input) => {
      Deno.writeTextFileSync(`${dir}/index.json`, input);
      await new LayoutSource(dir).resolve();
    });
    Deno.writeTextFileSync(`${dir}/index.json`, index);
    await fuzz("oci-layout", 106, ['{"imageLayoutVersion":"1.0.0"}'], async (input) => {
      Deno.writeTextFileSync(`${dir}/oci-layout`, input);
      await new LayoutSource(dir).resolve();
    });
    Deno.writeTextFileSync(`${dir}/oci-layout`, '{"imageLayoutVersion":"1.0.0"}');
    // A mutated config stored under its own digest, as a copied layout may hold it.
    await fuzz("layout config", 107, [text(image.config)], async (input) => {
      const config = blob(MEDIA.ociConfig, enc(input));
      Deno.writeFileSync(`${dir}/blobs/sha256/${config.digest.slice(7)}`, config.bytes);
      const doc = JSON.parse(text(image.manifest));
      doc.config = { mediaType: config.mediaType, digest: config.digest, size: config.size };
      const m = blob(MEDIA.ociManifest, doc);
      Deno.writeFileSync(`${dir}/blobs/sha256/${m.digest.slice(7)}`, m.bytes);
      Deno.writeTextFileSync(
        `${dir}/index.json`,
        JSON.stringify({
          schemaVersion: 2,
          manifests: [{ ...doc.config, ...m, bytes: undefined }],
        }),
      );
      await new LayoutSource(dir).resolve();
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("configuration files fuzz: settings, docker config, helper answers give data or a typed error", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "sregistry-fuzz-" });
  try {
    const settings = JSON.stringify({
      SREGISTRY_CLIENT: "docker",
      docker: { SREGISTRY_DOCKERHUB_USERNAME: "u", SREGISTRY_DOCKER_VERSION: "v2" },
    });
    await fuzz("settings", 108, [settings], (input) => {
      Deno.writeTextFileSync(`${dir}/s`, input);
      readSecrets(`${dir}/s`);
    });
    const dockerConfig = JSON.stringify({
      auths: {
        "r.example": { auth: btoa("u:p") },
        "https://index.docker.io/v1/": { identitytoken: "t", username: "u" },
        "q.example": {},
      },
      credHelpers: { "gcr.io": "gcloud" },
      credsStore: "pass",
    });
    await fuzz("docker config", 109, [dockerConfig], (input) => {
      const file = parseAuthFile(`${dir}/config.json`, input);
      for (const [host, entry] of Object.entries(file.auths)) {
        decodeAuthEntry(entry, file.path, host);
      }
    });
    const answer = JSON.stringify({ ServerURL: "r.example", Username: "u", Secret: "s" });
    await fuzz("credential helper", 110, [answer], (input) => {
      parseHelperOutput(input, "pass", "r.example");
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("store files fuzz: lock files never throw, the cache index gives an index or a DocumentError", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "sregistry-fuzz-" });
  try {
    const owner = JSON.stringify({
      host: "elsewhere",
      pid: 12345,
      since: new Date().toISOString(),
    });
    await fuzz("lock", 111, [owner], (input) => {
      Deno.writeTextFileSync(`${dir}/x.lock`, input);
      lockIsStale(`${dir}/x.lock`, 60_000);
      throw new SregistryError("not thrown: counts the iteration as checked");
    });
    const cache = new BlobCache(`${dir}/cache`);
    cache.init();
    await cache.tag("a/b:1", {
      mediaType: MEDIA.ociManifest,
      digest: image.manifest.digest,
      size: 1,
    });
    const index = Deno.readTextFileSync(`${dir}/cache/index.json`);
    await fuzz("cache index.json", 112, [index], (input) => {
      Deno.writeTextFileSync(`${dir}/cache/index.json`, input);
      cache.index();
    }, (e) => e instanceof DocumentError && e.kind === "cache-index");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("registry answers fuzz: token answers, error bodies and tag pages", async () => {
  const token = JSON.stringify({ token: "t0k", access_token: "t0k", expires_in: 300 });
  await fuzz("token", 113, [token], async (input) => {
    const session = new AuthSession((req) => {
      const url = new URL(req.url);
      if (url.host === "auth.example") return Promise.resolve(new Response(input));
      if (!req.headers.get("authorization")) {
        return Promise.resolve(
          new Response(null, {
            status: 401,
            headers: { "www-authenticate": 'Bearer realm="https://auth.example/t",service="r"' },
          }),
        );
      }
      return Promise.resolve(new Response("{}"));
    });
    const res = await session.fetch(new Request("https://r.example/v2/a/manifests/1"), "x");
    await res.body?.cancel();
  });
  const body = JSON.stringify({ errors: [{ code: "DENIED", message: "no", detail: { a: 1 } }] });
  await fuzz("error body", 114, [body], (input) => {
    const parsed = parseErrorBody(input);
    assert(Array.isArray(parsed.errors));
    throw new SregistryError("not thrown: counts the iteration as checked");
  });
  await fuzz("tag page", 115, [JSON.stringify({ name: "a", tags: ["1", "2"] })], (input) => {
    const tags = parseTagPage(input);
    assert(tags === undefined || tags.every((t) => typeof t === "string"));
    throw new SregistryError("not thrown: counts the iteration as checked");
  });
});
