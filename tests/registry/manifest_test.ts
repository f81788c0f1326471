import { ManifestError } from "../../src/registry/manifest.ts";
import {
  isAttestation,
  MANIFEST_ACCEPT,
  manifestDigest,
  MediaType,
  parseManifest,
} from "../../src/registry/manifest.ts";
import { sha256Digest } from "../../src/digest.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { buildImage, buildIndex, MEDIA } from "../_images.ts";

const DIR = new URL("../../../shared/fixtures/manifests/", import.meta.url);
const haveFixtures = (() => {
  try {
    return Deno.statSync(DIR).isDirectory;
  } catch {
    return false;
  }
})();
const fixture = (name: string) => Deno.readFileSync(new URL(name, DIR));
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const D = (c: string) => "sha256:" + c.repeat(64);

Deno.test("MANIFEST_ACCEPT lists every supported manifest type", () => {
  for (const t of Object.values(MediaType)) {
    if (t.endsWith("config.v1+json") || t === MediaType.dockerConfig) continue;
    assert(MANIFEST_ACCEPT.includes(t), t);
  }
});

Deno.test("parseManifest() reads built OCI and Docker manifests and indexes", async () => {
  for (const format of ["oci", "docker"] as const) {
    const img = await buildImage({ format, layers: [{ entries: [] }, { entries: [] }] });
    const m = parseManifest(img.manifest.bytes, img.manifest.mediaType);
    assertEquals(m.kind, "manifest");
    if (m.kind !== "manifest") return;
    assertEquals(m.mediaType, img.manifest.mediaType);
    assertEquals(m.config.digest, img.config.digest);
    assertEquals(m.layers.map((l) => l.digest), img.layers.map((l) => l.digest));
    const { index } = buildIndex(
      [{ image: img, platform: { os: "linux", architecture: "amd64" } }],
      {
        format,
        attestations: true,
      },
    );
    const i = parseManifest(index.bytes, index.mediaType);
    assertEquals(i.kind, "index");
    if (i.kind !== "index") return;
    assertEquals(i.manifests.length, 2);
    assertEquals(i.manifests.map(isAttestation), [false, true]);
  }
});

Deno.test("parseManifest() ignores Content-Type parameters and falls back to the body", () => {
  const doc = {
    schemaVersion: 2,
    config: { mediaType: MEDIA.ociConfig, digest: D("a"), size: 2 },
    layers: [],
  };
  assertEquals(parseManifest(enc(doc), null).mediaType, MediaType.ociManifest);
  assertEquals(parseManifest(enc(doc), "application/json").mediaType, MediaType.ociManifest);
  assertEquals(
    parseManifest(
      enc({ ...doc, mediaType: MEDIA.ociManifest }),
      `${MEDIA.ociManifest}; charset=utf-8`,
    )
      .mediaType,
    MediaType.ociManifest,
  );
  assertEquals(
    parseManifest(enc({ schemaVersion: 2, manifests: [] }), null).mediaType,
    MediaType.ociIndex,
  );
});

const HOSTILE: { name: string; bytes: Uint8Array; type: string | null; includes: string }[] = [
  {
    name: "media type contradicting Content-Type",
    bytes: enc({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [] }),
    type: MEDIA.ociManifest,
    includes: "contradicts the Content-Type",
  },
  {
    name: "unknown media type",
    bytes: enc({ schemaVersion: 2 }),
    type: "application/vnd.example.thing+json",
    includes: "unsupported media type",
  },
  {
    name: "negative size",
    bytes: enc({
      schemaVersion: 2,
      config: { mediaType: "x", digest: D("a"), size: -1 },
      layers: [],
    }),
    type: MEDIA.ociManifest,
    includes: "not a non-negative integer",
  },
  {
    name: "fractional size",
    bytes: enc({
      schemaVersion: 2,
      config: { mediaType: "x", digest: D("a"), size: 1.5 },
      layers: [],
    }),
    type: MEDIA.ociManifest,
    includes: "not a non-negative integer",
  },
  {
    name: "bad digest",
    bytes: enc({
      schemaVersion: 2,
      config: { mediaType: "x", digest: "sha256:zz", size: 1 },
      layers: [],
    }),
    type: MEDIA.ociManifest,
    includes: "not a sha256 digest",
  },
  {
    name: "huge",
    bytes: new Uint8Array(4 * 1024 * 1024 + 1).fill(0x20),
    type: MEDIA.ociManifest,
    includes: "more than the 4194304 allowed",
  },
  {
    name: "deep nesting",
    bytes: new TextEncoder().encode("[".repeat(100000) + "]".repeat(100000)),
    type: MEDIA.ociManifest,
    includes: "nested deeper",
  },
  {
    name: "truncated JSON",
    bytes: new TextEncoder().encode('{"schemaVersion":2,"config":{'),
    type: MEDIA.ociManifest,
    includes: "not JSON",
  },
  {
    name: "not an object",
    bytes: enc([1, 2]),
    type: MEDIA.ociManifest,
    includes: "not a JSON object",
  },
  {
    name: "unrecognisable generic body",
    bytes: enc({ hello: 1 }),
    type: "application/json",
    includes: "cannot be recognised",
  },
  {
    name: "index without manifests",
    bytes: enc({ schemaVersion: 2 }),
    type: MEDIA.ociIndex,
    includes: "$.manifests is missing",
  },
];

for (const c of HOSTILE) {
  Deno.test(`parseManifest() refuses ${c.name}`, () => {
    const e = assertThrows(() => parseManifest(c.bytes, c.type), ManifestError, c.includes);
    assert(e.message.startsWith("Cannot read the manifest"));
  });
}

Deno.test({
  name: "parseManifest() reads every real-world manifest fixture",
  ignore: !haveFixtures,
  fn() {
    const kinds: Record<string, string> = {};
    for (const entry of Deno.readDirSync(DIR)) {
      if (entry.name.includes("config")) continue;
      const m = parseManifest(fixture(entry.name), null);
      kinds[entry.name] = `${m.kind} ${m.mediaType}`;
      if (m.kind === "manifest") assert(m.layers.length > 0, entry.name);
      else assert(m.manifests.length > 0, entry.name);
    }
    assertEquals(kinds["manifest-list.busybox.schema2list.json"], `index ${MediaType.dockerList}`);
    assertEquals(kinds["oci-index.zstd-selection.json"], `index ${MediaType.ociIndex}`);
    assertEquals(kinds["schema2.httpd.manifest.json"], `manifest ${MediaType.dockerManifest}`);
    assertEquals(kinds["oci-manifest.zstd.json"], `manifest ${MediaType.ociManifest}`);
    assertEquals(kinds["schema1-signed.v2s1.manifest.json"], `manifest ${MediaType.schema1Signed}`);
    assertEquals(kinds["schema1-unsigned.v2s1.manifest.json"], `manifest ${MediaType.schema1}`);
  },
});

Deno.test({
  name: "parseManifest() keeps foreign layers, annotations and the httpd config digest",
  ignore: !haveFixtures,
  fn() {
    const m = parseManifest(fixture("schema2.foreign-layer.json"), MediaType.dockerManifest);
    assert(m.kind === "manifest");
    assertEquals(
      m.layers[0].mediaType,
      "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
    );
    assertEquals(m.annotations?.["com.example.key1"], "value1");
    const httpd = parseManifest(fixture("schema2.httpd.manifest.json"), MediaType.dockerManifest);
    assert(httpd.kind === "manifest");
    assertEquals(httpd.config.digest, sha256Digest(fixture("schema2.httpd.config.json")));
    assertEquals(httpd.config.size, 5940);
    assertEquals(httpd.layers.length, 5);
  },
});

Deno.test({
  name: "manifestDigest() of signed schema1 is over the JWS payload (7364fea9...)",
  ignore: !haveFixtures,
  fn() {
    const want = "sha256:7364fea9d84ee548ab67d4c46c6006289800c98de3fbf8c0a97138dfcc23f000";
    const signed = fixture("schema1-signed.v2s1.manifest.json");
    assertEquals(manifestDigest(signed, MediaType.schema1Signed), want);
    assert(sha256Digest(signed) !== want);
    assertEquals(
      manifestDigest(fixture("schema1-unsigned.v2s1.manifest.json"), MediaType.schema1),
      want,
    );
    assertEquals(
      manifestDigest(fixture("schema2.v2s2.manifest.json"), MediaType.dockerManifest),
      "sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55",
    );
  },
});

Deno.test({
  name: "parseManifest() converts schema1 base-first with a config from history[0]",
  ignore: !haveFixtures,
  fn() {
    const bytes = fixture("schema1-signed.v2s1.manifest.json");
    const m = parseManifest(bytes, MediaType.schema1Signed);
    assert(m.kind === "manifest" && m.configBytes);
    const doc = JSON.parse(new TextDecoder().decode(bytes));
    const base = doc.fsLayers.map((l: { blobSum: string }) => l.blobSum).reverse();
    assertEquals(m.layers.map((l) => l.digest), base);
    assertEquals(m.config.digest, sha256Digest(m.configBytes));
    const config = JSON.parse(new TextDecoder().decode(m.configBytes));
    const top = JSON.parse(doc.history[0].v1Compatibility);
    assertEquals(config.config, top.config);
    assertEquals(config.architecture, "amd64");
    assertEquals(config.history.length, doc.history.length);
  },
});

Deno.test("parseManifest() drops schema1 throwaway layers and keeps repeated ones", () => {
  const v1 = (extra: Record<string, unknown>) =>
    JSON.stringify({ config: { Cmd: ["sh"] }, ...extra });
  const doc = {
    schemaVersion: 1,
    fsLayers: [{ blobSum: D("c") }, { blobSum: D("b") }, { blobSum: D("a") }, { blobSum: D("a") }],
    history: [
      { v1Compatibility: v1({ os: "linux" }) },
      { v1Compatibility: v1({ throwaway: true }) },
      { v1Compatibility: v1({}) },
      { v1Compatibility: v1({}) },
    ],
  };
  const m = parseManifest(enc(doc), MediaType.schema1);
  assert(m.kind === "manifest");
  assertEquals(m.layers.map((l) => l.digest), [D("a"), D("a"), D("c")]);
  assertEquals(m.layers[0].size, -1);
  assertThrows(
    () => parseManifest(enc({ ...doc, history: doc.history.slice(1) }), MediaType.schema1),
    ManifestError,
    "history entries",
  );
});
