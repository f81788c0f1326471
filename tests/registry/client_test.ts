/** RegistryClient against the real CNCF registry (docker-registry). */
import { RegistryError } from "../../src/errors.ts";
import { parseReference } from "../../src/reference.ts";
import { RegistryClient } from "../../src/registry/client.ts";
import { hostPlatform } from "../../src/image/platform.ts";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { buildImage, buildIndex, MEDIA } from "../_images.ts";
import { pushBlob, pushImage, pushManifest, registryBinary, startRegistry } from "../_registry.ts";

const ignore = !registryBinary();
const client = (extra: ConstructorParameters<typeof RegistryClient>[0] = {}) =>
  new RegistryClient({ plainHttp: () => true, retries: 0, ...extra });
const file = (name: string, content: string) => ({ name, content });

async function readAll(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(s).arrayBuffer());
}

Deno.test({
  name: "RegistryClient resolve() reads OCI and Docker schema2 images and verified blobs",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    for (const format of ["oci", "docker"] as const) {
      const img = await buildImage({
        format,
        layers: [{ entries: [file("etc/hello", format)] }, { entries: [], compression: "zstd" }],
      });
      await pushImage(reg, `test/${format}`, "v1", img);
      const c = client();
      const ref = parseReference(`${reg.host}/test/${format}:v1`);
      const r = await c.resolve(ref);
      assertEquals(r.digest, img.manifest.digest);
      assertEquals(r.manifestDigest, img.manifest.digest);
      assertEquals(r.mediaType, img.manifest.mediaType);
      assertEquals(r.index, undefined);
      assertEquals(r.manifest.layers.map((l) => l.digest), img.layers.map((l) => l.digest));
      const progress: number[] = [];
      const bytes = await readAll(
        c.openBlob(ref, r.manifest.layers[0], { onProgress: (n) => progress.push(n) }),
      );
      assertEquals(bytes, img.layers[0].bytes);
      assertEquals(progress.at(-1), img.layers[0].size);
      assertEquals(await readAll(c.openBlob(ref, r.manifest.config)), img.config.bytes);
      const head = await c.headManifest(ref);
      assertEquals(head?.digest, img.manifest.digest);
      assertEquals(head?.size, img.manifest.size);
      const byDigest = await c.getManifest(
        parseReference(`${reg.host}/test/${format}@${img.manifest.digest}`),
      );
      assertEquals(byDigest.bytes, img.manifest.bytes);
    }
  },
});

Deno.test({
  name: "RegistryClient resolve() follows a multi-arch index past attestations",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    const amd = await buildImage({ layers: [{ entries: [file("arch", "amd64")] }] });
    const arm = await buildImage({
      layers: [{ entries: [file("arch", "arm64")] }],
      platform: { os: "linux", architecture: "arm64", variant: "v8" },
    });
    const { index, extra } = buildIndex([
      { image: amd, platform: { os: "linux", architecture: "amd64" } },
      { image: arm, platform: { os: "linux", architecture: "arm64", variant: "v8" } },
    ], { attestations: true });
    await pushImage(reg, "multi", amd.manifest.digest, amd);
    await pushImage(reg, "multi", arm.manifest.digest, arm);
    for (const b of extra) {
      if (b.mediaType === MEDIA.ociManifest) await pushManifest(reg, "multi", b.digest, b);
      else await pushBlob(reg, "multi", b);
    }
    await pushManifest(reg, "multi", "latest", index);
    const ref = parseReference(`${reg.host}/multi`);
    const host = await client().resolve(ref);
    assertEquals(host.digest, index.digest);
    assertEquals(host.index?.manifests.length, 4);
    const want = hostPlatform().architecture === "arm64" ? arm : amd;
    assertEquals(host.manifestDigest, want.manifest.digest);
    const a = await client().resolve(ref, { platform: { os: "linux", architecture: "arm64" } });
    assertEquals(a.manifestDigest, arm.manifest.digest);
    assertEquals(a.platform, { os: "linux", architecture: "arm64", variant: "v8" });
    assertEquals(a.manifestBytes, arm.manifest.bytes);
    await assertRejects(
      () => client().resolve(ref, { platform: { os: "linux", architecture: "s390x" } }),
      Error,
      "the image has linux/amd64, linux/arm64/v8",
    );
  },
});

Deno.test({
  name: "RegistryClient listTags() lists every tag sorted",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    const img = await buildImage({ layers: [{ entries: [] }] });
    const tags = ["a", "b", "c", "d", "e"];
    for (const t of tags) await pushImage(reg, "paged", t, img);
    const ref = parseReference(`${reg.host}/paged`);
    // distribution 2.8 ignores ?n= (no Link header): pagination is tested on the fake registry.
    assertEquals(await client().listTags(ref, { pageSize: 2 }), tags);
    assertEquals(await client().listTags(ref), tags);
  },
});

Deno.test({
  name: "RegistryClient getManifest() of a missing tag says how to list tags",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    const img = await buildImage({ layers: [{ entries: [] }] });
    await pushImage(reg, "here", "v1", img);
    const e = await assertRejects(
      () => client().getManifest(parseReference(`${reg.host}/here:nope`)),
      RegistryError,
      "`sregistry tags REF` lists tags",
    );
    assertEquals(e.status, 404);
    assertEquals(e.errors[0].code, "MANIFEST_UNKNOWN");
    assertEquals(await client().headManifest(parseReference(`${reg.host}/here:nope`)), undefined);
  },
});

async function htpasswd(user: string, pass: string): Promise<string> {
  const out = await new Deno.Command("htpasswd", { args: ["-nbB", user, pass] }).output();
  return new TextDecoder().decode(out.stdout).trim() + "\n";
}

Deno.test({
  name: "RegistryClient sends basic credentials to an htpasswd registry",
  ignore,
  async fn() {
    await using reg = await startRegistry({ htpasswd: await htpasswd("user", "s3cret-pw") });
    const auth = { username: "user", password: "s3cret-pw" };
    const img = await buildImage({ layers: [{ entries: [file("x", "y")] }] });
    await pushImage(reg, "private/app", "v1", img, auth);
    const ref = parseReference(`${reg.host}/private/app:v1`);
    const asked: string[] = [];
    const ok = client({
      credentials: (host) => {
        asked.push(host);
        return Promise.resolve(auth);
      },
    });
    const r = await ok.resolve(ref);
    assertEquals(r.manifestDigest, img.manifest.digest);
    assertEquals(await readAll(ok.openBlob(ref, r.manifest.layers[0])), img.layers[0].bytes);
    assertEquals(asked, [reg.host]);
    const e = await assertRejects(
      () => client().resolve(ref),
      RegistryError,
      `sregistry login ${reg.host}`,
    );
    assertEquals(e.status, 401);
    const wrong = client({
      credentials: () => Promise.resolve({ username: "user", password: "nope" }),
    });
    const e2 = await assertRejects(() => wrong.resolve(ref), RegistryError, "sregistry login");
    assert(!e2.message.includes("nope"));
  },
});
