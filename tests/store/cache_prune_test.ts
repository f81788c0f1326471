import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { hostname } from "node:os";
import { BlobCache } from "../../src/store/blob_cache.ts";
import { type CachedBlob, cacheUsage, joinUsage, listBlobs } from "../../src/store/cache_usage.ts";
import { holdLock, useBlobs } from "../../src/store/blob_pins.ts";
import {
  blobsInUse,
  parseDuration,
  parseSize,
  planExclusive,
  planPrune,
  removeBlobs,
} from "../../src/store/cache_prune.ts";
import type { ImageRecord } from "../../src/store/record.ts";
import { sha256 } from "../_images.ts";

const d = (c: string) => `sha256:${c.repeat(64)}`;
const DAY = 86_400_000;
const NOW = Date.parse("2025-06-01T00:00:00Z");

function record(id: number, digests: string[], updatedAt = "2020-01-01 00:00:00"): ImageRecord {
  const [m, config, ...layers] = digests;
  return {
    id,
    collection: "test",
    name: `img${id}`,
    tag: "v1",
    version: m,
    registry: "example.org",
    client: "docker",
    image: null,
    url: null,
    uri: "",
    createdAt: updatedAt,
    updatedAt,
    metrics: {},
    digest: m,
    manifestDigest: m,
    platformManifest: { config: { digest: config }, layers: layers.map((digest) => ({ digest })) },
  };
}

function blob(c: string, size: number, daysAgo: number): CachedBlob {
  return { digest: d(c), size, lastUsed: NOW - daysAgo * DAY };
}

Deno.test("parseSize() reads sizes as printed, and binary units", () => {
  const cases: [string, number][] = [
    ["1000", 1000],
    ["500MB", 500e6],
    ["10G", 10e9],
    ["1.5GiB", 1.5 * 2 ** 30],
    ["450 kB", 450_000],
    ["2t", 2e12],
  ];
  for (const [text, want] of cases) assertEquals(parseSize(text), want, text);
  for (const bad of ["", "lots", "-1G", "10 GBs", "1e9"]) {
    assertThrows(() => parseSize(bad), SyntaxError);
  }
});

Deno.test("parseDuration() reads 30d, 12h, 90m, 2w and combinations", () => {
  const cases: [string, number][] = [
    ["30d", 30 * DAY],
    ["12h", 12 * 3_600_000],
    ["90m", 90 * 60_000],
    ["45s", 45_000],
    ["2w", 14 * DAY],
    ["1d12h", 1.5 * DAY],
  ];
  for (const [text, want] of cases) assertEquals(parseDuration(text), want, text);
  for (const bad of ["", "30", "d", "3x", "1d 2h", "-1d"]) {
    assertThrows(() => parseDuration(bad), SyntaxError);
  }
});

// Image 1 (oldest): m1 c1 shared l1; image 2: m2 c2 shared l2; x and y used by nobody.
const BLOBS = [
  blob("1", 10, 9), // m1
  blob("2", 10, 1), // m2
  blob("3", 10, 9), // c1
  blob("4", 10, 1), // c2
  blob("5", 500, 9), // shared
  blob("6", 300, 9), // l1
  blob("7", 100, 1), // l2
  blob("8", 40, 30), // x: unused, old
  blob("9", 50, 0), // y: unused, new
];
const RECORDS = [
  record(1, [d("1"), d("3"), d("5"), d("6")]),
  record(2, [d("2"), d("4"), d("5"), d("7")]),
];

Deno.test("planPrune() removes unused blobs, then least recently used images' blobs under a limit", () => {
  const usage = joinUsage(BLOBS, RECORDS);
  const cases: {
    name: string;
    options: Parameters<typeof planPrune>[1];
    remove: string[];
    lost: number[];
    size: number;
  }[] = [
    { name: "unused only", options: {}, remove: ["8", "9"], lost: [], size: 940 },
    {
      name: "older than a week",
      options: { olderThanMs: 7 * DAY },
      remove: ["8"],
      lost: [],
      size: 990,
    },
    {
      name: "limit met by unused",
      options: { maxSize: 950 },
      remove: ["8", "9"],
      lost: [],
      size: 940,
    },
    {
      name: "limit evicts the oldest image but keeps the shared layer",
      options: { maxSize: 700 },
      remove: ["8", "9", "1", "3", "6"],
      lost: [1],
      size: 620,
    },
    {
      name: "limit evicts both images",
      options: { maxSize: 100 },
      remove: ["8", "9", "1", "3", "6", "2", "4", "5", "7"],
      lost: [1, 2],
      size: 0,
    },
    {
      name: "limit with older-than keeps recent blobs",
      options: { maxSize: 100, olderThanMs: 7 * DAY },
      remove: ["8", "1", "3", "6"],
      lost: [1],
      size: 670,
    },
  ];
  for (const c of cases) {
    const plan = planPrune(usage, { now: NOW, ...c.options });
    assertEquals(plan.remove.map((b) => b.digest), c.remove.map(d), c.name);
    assertEquals(plan.lost.map((r) => r.id), c.lost, c.name);
    assertEquals(plan.sizeAfter, c.size, c.name);
  }
});

Deno.test("planExclusive() picks only the blobs no other record uses", () => {
  const usage = joinUsage(BLOBS, RECORDS);
  assertEquals(planExclusive(usage, 2).map((b) => b.digest), [d("2"), d("4"), d("7")]);
  assertEquals(planExclusive(usage, 3), []);
});

async function withCache(fn: (cache: BlobCache, root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir();
  try {
    await fn(new BlobCache(`${root}/oci`), root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

function put(cache: BlobCache, text: string): string {
  const bytes = new TextEncoder().encode(text);
  const digest = sha256(bytes);
  cache.putBytes({ digest }, bytes);
  return digest;
}

Deno.test("removeBlobs() skips locked and pinned blobs and drops tags of removed manifests", async () => {
  await withCache(async (cache) => {
    const [free, locked, pinned] = ["free", "locked", "pinned"].map((t) => put(cache, t));
    const text = JSON.stringify({ layers: [{ digest: free }] });
    const manifest = put(cache, text);
    await cache.tag("example.org/a:v1", { mediaType: "x", digest: manifest, size: text.length });
    cache.init();
    const release = (await holdLock(`${cache.blobPath(locked)}.lock`))!;
    using _pin = await useBlobs(cache, [pinned]);
    const usage = cacheUsage(cache, []);
    const result = await removeBlobs(cache, usage.blobs, {
      inUse: blobsInUse(cache),
      lockWaitMs: 100,
    });
    release();
    assertEquals(result.removed.map((b) => b.digest).sort(), [free, manifest].sort());
    assertEquals(result.skipped.map((b) => b.digest).sort(), [locked, pinned].sort());
    assertEquals(listBlobs(cache).map((b) => b.digest).sort(), [locked, pinned].sort());
    assertEquals(cache.index().manifests, []);
    assert(!(await Deno.stat(`${cache.blobPath(locked)}.lock`).then(() => true, () => false)));
  });
});

Deno.test("blobsInUse() protects tagged and new blobs while a pull without pins runs", async () => {
  await withCache(async (cache, root) => {
    const old = put(cache, "old, untagged");
    const tagged = put(cache, "old, tagged");
    await cache.tag("example.org/a:v1", { mediaType: "x", digest: tagged, size: 11 });
    const past = new Date(Date.now() - DAY / 2);
    for (const digest of [old, tagged]) Deno.utimeSync(cache.blobPath(digest), past, past);
    const fresh = put(cache, "written during the pull");
    const tmp = `${root}/tmp`;
    Deno.mkdirSync(tmp);
    assertEquals(blobsInUse(cache, { tmpDir: tmp })(), new Set());
    const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
    try {
      Deno.mkdirSync(`${tmp}/sregistry-work-${sleeper.pid}@${hostname()}-abc123`);
      const inUse = blobsInUse(cache, { tmpDir: tmp })();
      assertEquals(inUse, new Set([tagged, fresh]));
    } finally {
      sleeper.kill();
      await sleeper.status;
    }
  });
});
