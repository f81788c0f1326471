/** MirroredClient and endpoint parsing, on in-process fake registries (mirror and hub). */
import { UsageError } from "../../src/errors.ts";
import { parseReference } from "../../src/reference.ts";
import type { ClientEvent } from "../../src/registry/client.ts";
import {
  type Endpoint,
  hubEndpoint,
  MirroredClient,
  parseEndpoint,
  parseMirrors,
} from "../../src/registry/mirrors.ts";
import { assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { FakeRegistry, json, REGISTRY_HOST } from "../_fake_registry.ts";
import { buildImage } from "../_images.ts";

const HUB = "hub.test";
const MIRROR_A = "mirror-a.test";
const MIRROR_B = "mirror-b.test";

const img = await buildImage({
  layers: [{ entries: [{ name: "f", content: "from the image\n" }], compression: "gzip" }],
});
const other = await buildImage({
  layers: [{ entries: [{ name: "f", content: "something else\n" }], compression: "gzip" }],
});

Deno.test("parseEndpoint() reads hosts and URLs", () => {
  const cases: { name: string; value: string; plainHttp?: boolean; want: Endpoint }[] = [
    {
      name: "bare host",
      value: "mirror.example.org",
      want: { host: "mirror.example.org", plainHttp: false },
    },
    {
      name: "bare host, no-https",
      value: "m.example:5000",
      plainHttp: true,
      want: { host: "m.example:5000", plainHttp: true },
    },
    {
      name: "http URL",
      value: "http://127.0.0.1:5001",
      want: { host: "127.0.0.1:5001", plainHttp: true },
    },
    {
      name: "https URL wins over no-https",
      value: "https://m.example/",
      plainHttp: true,
      want: { host: "m.example", plainHttp: false },
    },
    {
      name: "URL with /v2/",
      value: " https://m.example/v2/ ",
      want: { host: "m.example", plainHttp: false },
    },
  ];
  for (const c of cases) {
    assertEquals(parseEndpoint(c.value, { plainHttp: c.plainHttp }), c.want, c.name);
  }
});

Deno.test("parseEndpoint() refuses what is not a registry address", () => {
  for (
    const bad of [
      "ftp://m.example",
      "https://m.example/some/path",
      "http://user:pw@m.example",
      "",
      "http://",
    ]
  ) {
    const e = assertThrows(() => parseMirrors([bad]), UsageError);
    assertEquals(
      e.message.startsWith("Cannot use SREGISTRY_DOCKERHUB_MIRROR entry"),
      true,
      e.message,
    );
    assertEquals(e.message.includes("pw@"), bad.includes("pw@") ? true : false);
  }
});

Deno.test("hubEndpoint() maps the default index.docker.io to registry-1.docker.io, else honours the base", () => {
  assertEquals(hubEndpoint("index.docker.io", false), {
    host: "registry-1.docker.io",
    plainHttp: false,
  });
  assertEquals(hubEndpoint("http://127.0.0.1:5000", false), {
    host: "127.0.0.1:5000",
    plainHttp: true,
  });
  assertEquals(hubEndpoint("hub.example", true), { host: "hub.example", plainHttp: true });
});

/** Fake registries reachable as hub.test, mirror-a.test, mirror-b.test; others fail like DNS. */
function world(opts: { mirrors?: string[] } = {}) {
  const fakes = new Map<string, FakeRegistry>();
  const seen: { host: string; path: string; auth: string | null }[] = [];
  for (const host of [HUB, MIRROR_A, MIRROR_B]) fakes.set(host, new FakeRegistry());
  const down = new Set<string>();
  const fetch = (req: Request) => {
    const url = new URL(req.url);
    seen.push({ host: url.host, path: url.pathname, auth: req.headers.get("authorization") });
    const fake = fakes.get(url.host);
    if (down.has(url.host)) {
      return Promise.reject(
        new TypeError(`client error (Connect): Connection refused (os error 111)`),
      );
    }
    if (!fake) {
      return Promise.reject(new TypeError(`dns error: failed to lookup address ${url.host}`));
    }
    url.host = REGISTRY_HOST;
    return fake.fetch(new Request(url, req));
  };
  const events: ClientEvent[] = [];
  const asked: string[] = [];
  const client = new MirroredClient({
    fetch,
    retries: 0,
    endpoint: (d) => (d === "docker.io" ? HUB : d),
    mirrors: (opts.mirrors ?? [MIRROR_A, MIRROR_B]).map((host) => ({ host, plainHttp: false })),
    credentials: (name) => {
      asked.push(name);
      return Promise.resolve(
        name === "docker.io" ? { username: "hubuser", password: "hubsecret" } : undefined,
      );
    },
    onEvent: (e) => events.push(e),
  });
  return { fakes, seen, down, client, events, asked, fake: (h: string) => fakes.get(h)! };
}

const ref = parseReference("library/app:v1");

async function pullAll(client: MirroredClient) {
  const r = await client.resolve(ref);
  const layer = r.manifest.layers[0];
  const bytes = new Uint8Array(await new Response(client.openBlob(ref, layer)).arrayBuffer());
  return { digest: r.manifestDigest, bytes, layer };
}

Deno.test("MirroredClient serves docker.io from the first mirror that has the image; the hub sees nothing", async () => {
  const w = world();
  w.fake(MIRROR_B).addImage("library/app", "v1", img);
  w.fake(HUB).addImage("library/app", "v1", img);
  const got = await pullAll(w.client);
  assertEquals(got.digest, img.manifest.digest);
  assertEquals(got.bytes, img.layers[0].bytes);
  assertEquals(w.seen.filter((s) => s.host === HUB), []);
  assertEquals(w.events.filter((e) => e.kind === "mirror").map((e) => e.message), [
    "manifest of docker.io/library/app:v1: from mirror https://mirror-b.test",
    `blob ${img.layers[0].digest}: from mirror https://mirror-b.test`,
  ]);
  // mirror-a answered 404 each time: skipped per request, not for the run.
  assertEquals(w.seen.filter((s) => s.host === MIRROR_A).length, 2);
});

Deno.test("MirroredClient stops using a mirror that refuses connections and falls back to the hub", async () => {
  const w = world({ mirrors: [MIRROR_A] });
  w.down.add(MIRROR_A);
  w.fake(HUB).addImage("library/app", "v1", img);
  const got = await pullAll(w.client);
  assertEquals(got.bytes, img.layers[0].bytes);
  assertEquals(w.seen.filter((s) => s.host === MIRROR_A).length, 1);
  const failed = w.events.filter((e) => e.kind === "mirror-failed").map((e) => e.message);
  assertEquals(failed.length, 1);
  assertEquals(
    failed[0].startsWith(
      "mirror https://mirror-a.test failed for manifest of docker.io/library/app:v1",
    ),
    true,
    failed[0],
  );
  assertEquals(
    failed[0].endsWith("; not used again in this run): trying Docker Hub"),
    true,
    failed[0],
  );
});

Deno.test("MirroredClient falls back on a mirror's 5xx, 401 and wrong content, and keeps digests verified", async () => {
  const cases: { name: string; setup: (m: FakeRegistry) => void }[] = [
    {
      name: "503",
      setup: (m) => void (m.fault = () => json(503, { errors: [{ code: "UNAVAILABLE" }] })),
    },
    {
      name: "401 with no credentials for the mirror",
      setup: (m) =>
        void (m.fault = () =>
          json(401, { errors: [{ code: "UNAUTHORIZED" }] }, {
            "www-authenticate": 'Basic realm="m"',
          })),
    },
    {
      name: "a different manifest under the digest asked for",
      setup: (m) => {
        m.addBlob(other.config.digest, other.config.bytes);
        m.addManifest("library/app", img.manifest.digest, other.manifest);
      },
    },
  ];
  for (const c of cases) {
    const w = world({ mirrors: [MIRROR_A] });
    w.fake(HUB).addImage("library/app", "v1", img);
    c.setup(w.fake(MIRROR_A));
    const got = await w.client.resolve(parseReference(`library/app@${img.manifest.digest}`));
    assertEquals(got.manifestDigest, img.manifest.digest, c.name);
    assertEquals(w.events.some((e) => e.kind === "mirror-failed"), true, c.name);
  }
});

Deno.test("MirroredClient never sends Docker Hub credentials to a mirror", async () => {
  const w = world({ mirrors: [MIRROR_A] });
  w.fake(MIRROR_A).fault = (req) =>
    req.headers.get("authorization")
      ? undefined
      : json(401, { errors: [{ code: "UNAUTHORIZED" }] }, {
        "www-authenticate": 'Basic realm="m"',
      });
  w.fake(HUB).addImage("library/app", "v1", img);
  await w.client.resolve(ref);
  assertEquals(w.seen.filter((s) => s.host === MIRROR_A && s.auth !== null), []);
  assertEquals(w.asked.includes(MIRROR_A), true, JSON.stringify(w.asked));
});

Deno.test("MirroredClient leaves other registries alone and reports the hub's own error last", async () => {
  const w = world();
  const elsewhere = parseReference(`${HUB}/library/app:v1`);
  w.fake(HUB).addImage("library/app", "v1", img);
  await w.client.resolve(elsewhere);
  assertEquals(w.seen.filter((s) => s.host !== HUB), []);
  const missing = parseReference("library/nothing:v1");
  const e = await assertRejects(() => w.client.getManifest(missing));
  assertEquals((e as Error).message.includes(HUB), true, (e as Error).message);
  assertEquals(await w.client.headManifest(missing), undefined);
});
