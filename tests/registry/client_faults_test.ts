/** RegistryClient under faults a real registry cannot produce (in-process fake), and real dead sockets. */
import { DigestMismatchError, RegistryError, SregistryError } from "../../src/errors.ts";
import { parseReference } from "../../src/reference.ts";
import { type ClientEvent, RegistryClient } from "../../src/registry/client.ts";
import { ManifestError } from "../../src/image/manifest.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../_assert.ts";
import {
  CDN_HOST,
  cutBody,
  type FakeOptions,
  FakeRegistry,
  json,
  REGISTRY_HOST,
  stalledBody,
} from "../_fake_registry.ts";
import { blob, buildImage } from "../_images.ts";

const big = new Uint8Array(100_000).map((_, i) => (i * 7) % 251);
const img = await buildImage({
  layers: [{ entries: [{ name: "big", content: big }], compression: "none" }],
});
const layer = img.layers[0];
const ref = parseReference(`${REGISTRY_HOST}/a/app:v1`);

function setup(
  opts: FakeOptions = {},
  clientOpts: ConstructorParameters<typeof RegistryClient>[0] = {},
) {
  const fake = new FakeRegistry(opts);
  fake.addImage("a/app", "v1", img);
  const slept: number[] = [];
  const events: ClientEvent[] = [];
  const client = new RegistryClient({
    fetch: fake.fetch,
    retries: 3,
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
    onEvent: (e) => events.push(e),
    ...clientOpts,
  });
  return { fake, client, slept, events };
}

async function readAll(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(s).arrayBuffer());
}

/** Answers the first `times` blob GETs with `make(n)`, then lets the fake serve. */
function onBlob(fake: FakeRegistry, times: number, make: (n: number) => Response) {
  let n = 0;
  fake.fault = (_req, url) => url.pathname.includes("/blobs/") && n < times ? make(n++) : undefined;
}

Deno.test("RegistryClient openBlob() never sends Authorization to a cross-host redirect", async () => {
  const { fake, client } = setup({ bearer: true, cdn: true });
  const r = await client.resolve(ref);
  assertEquals(await readAll(client.openBlob(ref, r.manifest.layers[0])), layer.bytes);
  const cdn = fake.seen.filter((s) => s.host === CDN_HOST);
  assertEquals(cdn.length, 1);
  assertEquals(cdn[0].authorization, null);
  assert(fake.seen.some((s) => s.host === REGISTRY_HOST && s.authorization?.startsWith("Bearer")));
});

Deno.test("RegistryClient waits out a short Retry-After on 429 and succeeds", async () => {
  const { fake, client, slept, events } = setup();
  let n = 0;
  fake.fault = (_r, url) =>
    url.pathname.includes("/manifests/") && n++ === 0
      ? json(429, { errors: [{ code: "TOOMANYREQUESTS" }] }, { "retry-after": "7" })
      : undefined;
  assertEquals((await client.resolve(ref)).manifestDigest, img.manifest.digest);
  assert(slept[0] >= 7000, `slept ${slept}`);
  assertEquals(events[0].kind, "retry");
});

Deno.test("RegistryClient gives a clear error for a 429 with a long Retry-After", async () => {
  const { fake, client, slept } = setup();
  const body = {
    errors: [{ code: "TOOMANYREQUESTS", message: "You have reached your pull rate limit." }],
  };
  fake.fault = () => json(429, body, { "retry-after": "3600" });
  const e = await assertRejects(() => client.resolve(ref), RegistryError, "retry in 3600 s");
  assertStringIncludes(
    e.message,
    `logging in (\`sregistry login ${REGISTRY_HOST}\`) raises the limit`,
  );
  assertStringIncludes(e.message, "You have reached your pull rate limit");
  assertEquals(e.retryAfter, 3600);
  assertEquals(slept, []);
});

Deno.test("RegistryClient retries 5xx, then reports the last one", async () => {
  const a = setup();
  let n = 0;
  a.fake.fault = () => (n++ < 2 ? new Response("busy", { status: 503 }) : undefined);
  assertEquals((await a.client.resolve(ref)).manifestDigest, img.manifest.digest);
  assertEquals(a.slept.length, 2);
  const b = setup();
  b.fake.fault = () => new Response("<html><title>502 Bad Gateway</title></html>", { status: 502 });
  const e = await assertRejects(
    () => b.client.resolve(ref),
    RegistryError,
    'HTML page "502 Bad Gateway"',
  );
  assertStringIncludes(e.message, "try again later");
  assertEquals(b.slept.length, 3);
});

Deno.test("RegistryClient reports a non-JSON error body as text", async () => {
  const { fake, client } = setup({}, { retries: 0 });
  fake.fault = () => new Response("Too Many Requests (HAP429).\n", { status: 429 });
  const e = await assertRejects(
    () => client.resolve(ref),
    RegistryError,
    '"Too Many Requests (HAP429)."',
  );
  assertEquals(e.status, 429);
});

Deno.test("RegistryClient openBlob() resumes a cut body with Range", async () => {
  const { fake, client, events } = setup();
  onBlob(fake, 1, () => new Response(cutBody(layer.bytes, 30_000)));
  const progress: number[] = [];
  const got = await readAll(client.openBlob(ref, layer, { onProgress: (b) => progress.push(b) }));
  assertEquals(got, layer.bytes);
  assertEquals(fake.seen.filter((s) => s.url.includes("/blobs/")).map((s) => s.range), [
    null,
    "bytes=30000-",
  ]);
  assertEquals(events.map((e) => e.kind), ["resume"]);
  assertEquals(progress.at(-1), layer.size);
});

Deno.test("RegistryClient openBlob() restarts without duplicates when Range is ignored", async () => {
  const { fake, client } = setup({ ignoreRange: true });
  onBlob(fake, 2, (n) => new Response(cutBody(layer.bytes, 20_000 * (n + 1))));
  assertEquals(await readAll(client.openBlob(ref, layer)), layer.bytes);
  assertEquals(fake.seen.filter((s) => s.url.includes("/blobs/")).length, 3);
});

Deno.test("RegistryClient openBlob() aborts a stalled body and resumes", async () => {
  const { fake, client } = setup({}, { stallTimeoutMs: 30 });
  onBlob(fake, 1, () => new Response(stalledBody(layer.bytes, 10_000)));
  assertEquals(await readAll(client.openBlob(ref, layer)), layer.bytes);
  assertEquals(fake.seen.filter((s) => s.url.includes("/blobs/"))[1].range, "bytes=10000-");
});

Deno.test("RegistryClient openBlob() gives up after repeated cuts without progress", async () => {
  const { fake, client } = setup();
  onBlob(fake, 100, () => new Response(cutBody(layer.bytes, 0)));
  const reading = readAll(client.openBlob(ref, layer));
  await assertRejects(() => reading, SregistryError, "resumes failed");
});

Deno.test("RegistryClient openBlob() fails on a wrong digest or size", async () => {
  const wrong = layer.bytes.slice();
  wrong[500] ^= 1;
  for (
    const [name, body, includes] of [
      ["right size, wrong content", wrong, layer.digest],
      ["too long", new Uint8Array([...layer.bytes, 0]), "bytes"],
      ["short, then clean end", layer.bytes.slice(0, 10), "resumes failed"],
    ] as const
  ) {
    const { fake, client } = setup({}, { retries: 1 });
    onBlob(fake, 100, () => new Response(body));
    const e = await assertRejects(
      () => readAll(client.openBlob(ref, layer)),
      SregistryError,
      includes,
    );
    if (name !== "short, then clean end") assert(e instanceof DigestMismatchError, name);
  }
});

Deno.test("RegistryClient getManifest() checks the digest it asked for", async () => {
  const { fake, client } = setup();
  const other = blob(img.manifest.mediaType, {
    ...JSON.parse(new TextDecoder().decode(img.manifest.bytes)),
    x: 1,
  });
  fake.addManifest("a/app", img.manifest.digest, { ...other, digest: img.manifest.digest });
  await assertRejects(
    () => client.getManifest(parseReference(`${REGISTRY_HOST}/a/app@${img.manifest.digest}`)),
    DigestMismatchError,
    "manifest of",
  );
});

Deno.test("RegistryClient getManifest() refuses an unknown media type", async () => {
  const { fake, client } = setup();
  fake.addManifest("a/app", "odd", { ...blob("application/vnd.example+json", { a: 1 }) });
  await assertRejects(
    () => client.getManifest(parseReference(`${REGISTRY_HOST}/a/app:odd`)),
    ManifestError,
    'unsupported media type "application/vnd.example+json"',
  );
});

Deno.test("RegistryClient listTags() follows relative Link pagination", async () => {
  const { fake, client } = setup();
  const tags = ["a", "b", "c", "d", "e"];
  for (const t of tags) fake.addManifest("a/app", t, img.manifest);
  assertEquals(await client.listTags(ref, { pageSize: 2 }), [...tags, "v1"]);
  const pages = fake.seen.filter((s) => s.url.includes("/tags/list"));
  assertEquals(pages.length, 3);
  assertEquals(new URL(pages[1].url).search, "?n=2&last=b");
});

Deno.test("RegistryClient headManifest() reads Docker Hub rate-limit headers", async () => {
  const { fake, client, events } = setup();
  fake.fault = (req) =>
    req.method === "HEAD"
      ? new Response(null, {
        headers: {
          "content-type": img.manifest.mediaType,
          "docker-content-digest": img.manifest.digest,
          "content-length": String(img.manifest.size),
          "ratelimit-limit": "100;w=21600",
          "ratelimit-remaining": "3;w=21600",
        },
      })
      : undefined;
  const h = await client.headManifest(ref);
  assertEquals(h?.rateLimit, { limit: 100, remaining: 3, windowS: 21600 });
  assertEquals(events.map((e) => e.message), [
    "3 of 100 pulls left per 6 h; logging in raises the limit",
  ]);
});

Deno.test("RegistryClient fetchBlob() gets foreign layers from their urls without credentials", async () => {
  const { fake, client } = setup({ bearer: true });
  const foreign = { ...layer, urls: [`https://${CDN_HOST}/blobs/${layer.digest}`] };
  assertEquals(await readAll(client.openBlob(ref, foreign)), layer.bytes);
  assertEquals(fake.seen.map((s) => [s.host, s.authorization]), [[CDN_HOST, null]]);
});

Deno.test("RegistryClient names the host when the connection is refused", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const client = new RegistryClient({ plainHttp: () => true, retries: 0 });
  await assertRejects(
    () => client.resolve(parseReference(`127.0.0.1:${port}/x/y`)),
    SregistryError,
    `connection to 127.0.0.1:${port} refused`,
  );
});

Deno.test("RegistryClient names an unknown host", async () => {
  const client = new RegistryClient({ retries: 0 });
  await assertRejects(
    () => client.resolve(parseReference("registry.invalid/x/y")),
    SregistryError,
    "unknown host registry.invalid",
  );
});
