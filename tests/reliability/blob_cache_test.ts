import { hostname } from "node:os";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { sha256 } from "../_images.ts";
import { BlobCache } from "../../src/store/blob_cache.ts";
import { partialPath } from "../../src/store/temp_names.ts";
import { deadPid, runScript, sleep } from "../_procs.ts";

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) {
    crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  }
  return out;
}

/** A stream of `bytes` in 64 KiB chunks with a pause between them. */
function slowStream(bytes: Uint8Array, pauseMs: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    async pull(c) {
      if (offset >= bytes.length) return c.close();
      await sleep(pauseMs);
      c.enqueue(bytes.slice(offset, offset + 65536));
      offset += 65536;
    },
  });
}

/** Names in the blob folder other than final blob names. */
function leftovers(root: string): string[] {
  return [...Deno.readDirSync(`${root}/blobs/sha256`)].map((e) => e.name)
    .filter((n) => !/^[a-f0-9]{64}$/.test(n));
}

Deno.test("BlobCache ensure() with two concurrent callers in one process downloads once", async () => {
  const root = Deno.makeTempDirSync();
  const bytes = randomBytes(512 * 1024);
  const blob = { digest: sha256(bytes), size: bytes.length };
  const cache = new BlobCache(root, { pollMs: 10 });
  let opened = 0;
  const open = () => (opened++, slowStream(bytes, 5));
  const results = await Promise.all([cache.ensure(blob, open), cache.ensure(blob, open)]);
  assertEquals(opened, 1);
  assertEquals(results.toSorted(), [false, true]);
  assertEquals(sha256(cache.read(blob.digest)), blob.digest);
  assertEquals(leftovers(root), []);
  Deno.removeSync(root, { recursive: true });
});

Deno.test("BlobCache ensure() across four processes: one GET, every process gets the blob", async () => {
  const root = Deno.makeTempDirSync();
  const bytes = randomBytes(2 * 1024 * 1024);
  const digest = sha256(bytes);
  let gets = 0;
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    gets++;
    return new Response(slowStream(bytes, 10));
  });
  const url = `http://127.0.0.1:${server.addr.port}/blob`;
  const worker = new URL("./_ensure_worker.ts", import.meta.url);
  const results = await Promise.all(
    Array.from({ length: 4 }, () => runScript(worker, [root, digest, String(bytes.length), url])),
  );
  for (const r of results) assertEquals(r.code, 0, r.stderr);
  assertEquals(results.map((r) => r.stdout.trim()).toSorted(), [
    "cached",
    "cached",
    "cached",
    "downloaded",
  ]);
  assertEquals(gets, 1);
  assertEquals(sha256(Deno.readFileSync(`${root}/blobs/sha256/${digest.slice(7)}`)), digest);
  assertEquals(leftovers(root), []);
  Deno.removeSync(root, { recursive: true });
});

Deno.test("BlobCache ensure() keeps nothing when the bytes do not match the digest", async () => {
  const root = Deno.makeTempDirSync();
  const bytes = randomBytes(100_000);
  const cache = new BlobCache(root);
  const blob = { digest: sha256(new Uint8Array([1])), size: bytes.length };
  await assertRejects(() => cache.ensure(blob, () => slowStream(bytes, 0)));
  assertEquals(cache.has(blob), false);
  assertEquals([...Deno.readDirSync(`${root}/blobs/sha256`)], []);
  Deno.removeSync(root, { recursive: true });
});

Deno.test("BlobCache sweep() removes partials (earlier versions' names too) and locks of dead processes, keeps live ones", async () => {
  const root = Deno.makeTempDirSync();
  const cache = new BlobCache(root);
  cache.init();
  const dir = `${root}/blobs/sha256`;
  const hex = "a".repeat(64);
  const dead = await deadPid();
  const host = hostname();
  const deadFiles = [
    `.${hex}.${dead}@${host}.0.partial`,
    `.index.json.${dead}@${host}.3.partial`,
    `.${hex}.lock.${dead}@${host}.5.partial`, // a lock's owner file, killed before linking it
    // Names of earlier versions.
    `${hex}.${host}.${dead}.0.partial`,
    `index.json.${host}.${dead}.3.partial`,
    `${hex}.lock.${host}.${dead}.5.partial`,
    // This pid, but not handed out by this process: a dead process's whose pid was reused.
    `.${hex}.${Deno.pid}@${host}.999999.partial`,
  ];
  const ours = partialPath(`${dir}/${hex}`).slice(dir.length + 1);
  const liveFiles = [
    ours,
    `.${hex}.${Deno.ppid}@${host}.0.partial`, // a live process
    `${hex}.${host}.${Deno.ppid}.0.partial`,
    `.${hex}.${dead}@other-node.0.partial`, // another host's (swept only after a day)
    `${hex}.other-node.${dead}.0.partial`,
  ];
  for (const name of deadFiles.concat(liveFiles)) {
    Deno.writeTextFileSync(name.includes("index") ? `${root}/${name}` : `${dir}/${name}`, "x");
  }
  const owner = (pid: number) => JSON.stringify({ host, pid, since: new Date().toISOString() });
  Deno.writeTextFileSync(`${dir}/${"b".repeat(64)}.lock`, owner(dead));
  Deno.writeTextFileSync(`${dir}/${"c".repeat(64)}.lock`, owner(Deno.pid));
  assertEquals(cache.sweep(), deadFiles.length + 1);
  assertEquals(
    leftovers(root).toSorted(),
    [...liveFiles, `${"c".repeat(64)}.lock`].toSorted(),
  );
  assert(!Deno.readDirSync(root).some((e) => e.name.endsWith(".partial")));
  Deno.removeSync(root, { recursive: true });
});
