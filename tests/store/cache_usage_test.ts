import { assert, assertEquals } from "../_assert.ts";
import { BlobCache } from "../../src/store/blob_cache.ts";
import {
  cacheUsage,
  listBlobs,
  markUsed,
  recordBlobs,
  taggedBlobs,
} from "../../src/store/cache_usage.ts";
import { holdLock, pinnedDigests, useBlobs } from "../../src/store/blob_pins.ts";
import type { ImageRecord } from "../../src/store/record.ts";
import { sha256 } from "../_images.ts";

const enc = new TextEncoder();
const d = (c: string) => `sha256:${c.repeat(64)}`;

/** A catalogue record with only what usage reads. */
function fakeRecord(id: number, fields: Partial<ImageRecord> = {}): ImageRecord {
  return {
    id,
    collection: "test",
    name: `img${id}`,
    tag: "v1",
    version: null,
    registry: "example.org",
    client: "docker",
    image: null,
    url: null,
    uri: `test/img${id}:v1`,
    createdAt: "2024-01-01 00:00:00",
    metrics: {},
    ...fields,
  };
}

/** Puts JSON or bytes in the cache; returns the digest. */
function put(cache: BlobCache, content: unknown): string {
  const bytes = content instanceof Uint8Array ? content : enc.encode(JSON.stringify(content));
  const digest = sha256(bytes);
  cache.putBytes({ digest }, bytes);
  return digest;
}

Deno.test("recordBlobs() lists what a record needs to be rebuilt", () => {
  const cases: { name: string; record: ImageRecord; want: string[] }[] = [
    {
      name: "index, platform manifest, config, layers",
      record: fakeRecord(1, {
        digest: d("a"),
        manifestDigest: d("b"),
        manifest: { manifests: [{ digest: d("b") }, { digest: d("f") }] },
        platformManifest: {
          config: { digest: d("c") },
          layers: [{ digest: d("d") }, { digest: d("e") }],
        },
      }),
      want: [d("a"), d("b"), d("c"), d("d"), d("e")],
    },
    {
      name: "single manifest: digest equals manifest digest",
      record: fakeRecord(2, {
        digest: d("b"),
        manifestDigest: d("b"),
        platformManifest: { config: { digest: d("c") }, layers: [{ digest: d("d") }] },
      }),
      want: [d("b"), d("c"), d("d")],
    },
    {
      name: "schema 1 fsLayers, repeated",
      record: fakeRecord(3, {
        digest: d("b"),
        manifestDigest: d("b"),
        platformManifest: { fsLayers: [{ blobSum: d("d") }, { blobSum: d("d") }] },
      }),
      want: [d("b"), d("d")],
    },
    { name: "Python client row", record: fakeRecord(4, { version: d("9") }), want: [] },
    {
      name: "hostile manifest JSON",
      record: fakeRecord(5, {
        platformManifest: { config: "x", layers: [null, { digest: "../x" }] },
      }),
      want: [],
    },
  ];
  for (const c of cases) assertEquals(recordBlobs(c.record), c.want, c.name);
});

Deno.test("cacheUsage() joins blobs with records, ignoring locks and partial files", async () => {
  const root = await Deno.makeTempDir();
  try {
    const cache = new BlobCache(root);
    const layer = put(cache, enc.encode("layer bytes"));
    const config = put(cache, { config: 1 });
    const orphan = put(cache, enc.encode("nobody"));
    Deno.writeTextFileSync(`${cache.blobPath(layer)}.lock`, "{}");
    Deno.writeTextFileSync(`${cache.blobPath(layer)}.host.1.0.partial`, "x");
    const manifest = { config: { digest: config }, layers: [{ digest: layer }] };
    const m = put(cache, manifest);
    const records = [1, 2].map((id) =>
      fakeRecord(id, { digest: m, manifestDigest: m, platformManifest: manifest })
    );
    const usage = cacheUsage(cache, records);
    const users = Object.fromEntries(usage.blobs.map((b) => [b.digest, b.users]));
    assertEquals(users, { [layer]: [1, 2], [config]: [1, 2], [orphan]: [], [m]: [1, 2] });
    assertEquals(usage.total, listBlobs(cache).reduce((n, b) => n + b.size, 0));
    assertEquals(usage.blobs.find((b) => b.digest === layer)?.size, 11);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("markUsed() moves a blob's last use and ignores absent blobs", async () => {
  const root = await Deno.makeTempDir();
  try {
    const cache = new BlobCache(root);
    const blob = put(cache, enc.encode("x"));
    const then = new Date("2020-01-01T00:00:00Z");
    markUsed(cache, [blob, d("0")], then);
    assertEquals(listBlobs(cache)[0].lastUsed, then.getTime());
    markUsed(cache, [blob]);
    assert(Date.now() - listBlobs(cache)[0].lastUsed < 60_000);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("taggedBlobs() follows index.json through an index to config and layers", async () => {
  const root = await Deno.makeTempDir();
  try {
    const cache = new BlobCache(root);
    const layer = put(cache, enc.encode("layer"));
    const config = put(cache, { c: 1 });
    const m = put(cache, { config: { digest: config }, layers: [{ digest: layer }] });
    const index = put(cache, { manifests: [{ digest: m }, { digest: d("7") }] });
    const orphan = put(cache, enc.encode("orphan"));
    await cache.tag("example.org/a:v1", { mediaType: "x", digest: index, size: 1 });
    const tagged = taggedBlobs(cache);
    for (const want of [index, m, config, layer]) assert(tagged.has(want), want);
    assert(!tagged.has(orphan));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("useBlobs() pins blobs until released, after waiting for a prune holding a lock", async () => {
  const root = await Deno.makeTempDir();
  try {
    const cache = new BlobCache(root);
    const blob = put(cache, enc.encode("x"));
    markUsed(cache, [blob], new Date("2020-01-01T00:00:00Z"));
    const release = (await holdLock(`${cache.blobPath(blob)}.lock`))!;
    let pinned = false;
    const pinning = useBlobs(cache, [blob]).then((pin) => (pinned = true, pin));
    await new Promise((r) => setTimeout(r, 150));
    assert(!pinned, "the pin did not wait for the lock");
    assert(pinnedDigests(cache).has(blob), "the pin is written before the wait");
    release();
    const pin = await pinning;
    assert(Date.now() - listBlobs(cache)[0].lastUsed < 60_000, "not marked used");
    pin.release();
    assertEquals(pinnedDigests(cache).size, 0);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("pinnedDigests() drops pins nobody refreshed for ten minutes", async () => {
  const root = await Deno.makeTempDir();
  try {
    const cache = new BlobCache(root);
    cache.init();
    Deno.mkdirSync(`${root}/.pins`);
    const path = `${root}/.pins/elsewhere.1.0.json`;
    Deno.writeTextFileSync(path, JSON.stringify({ host: "elsewhere", pid: 1, digests: [d("a")] }));
    assert(pinnedDigests(cache).has(d("a")), "a fresh pin of another host counts");
    const old = new Date(Date.now() - 11 * 60_000);
    Deno.utimeSync(path, old, old);
    assertEquals(pinnedDigests(cache).size, 0);
    assert(!(await Deno.stat(path).then(() => true, () => false)), "the stale pin stays");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
