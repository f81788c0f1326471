import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_assert.ts";
import { type CliHome, cliHome } from "../_cli.ts";
import { buildImage, type BuiltImage, type LayerSpec } from "../_images.ts";
import { pushImage, startRegistry, type TestRegistry } from "../_registry.ts";

function randomLayer(name: string, size: number): LayerSpec {
  const content = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(content.subarray(i, i + 65536));
  return { entries: [{ name, content }], compression: "none" };
}

/** Two images sharing their first layer: a = [shared, onlyA], b = [shared, onlyB]. */
async function twoImages(reg: TestRegistry) {
  const shared = randomLayer("shared.bin", 200_000);
  const a = await buildImage({ layers: [shared, randomLayer("a.bin", 300_000)] });
  const b = await buildImage({ layers: [shared, randomLayer("b.bin", 100_000)] });
  await pushImage(reg, "test/a", "v1", a);
  await pushImage(reg, "test/b", "v1", b);
  return { a, b, refA: `${reg.host}/test/a:v1`, refB: `${reg.host}/test/b:v1` };
}

interface LsJson {
  root: string;
  total: number;
  blobs: { digest: string; size: number; users: number[] }[];
}

async function ls(home: CliHome): Promise<LsJson> {
  const out = await home.run(["cache", "ls", "--json"]);
  assertEquals(out.code, 0, out.stderr);
  return JSON.parse(out.stdout);
}

async function ok(home: CliHome, args: string[]) {
  const out = await home.run(args);
  assertEquals(out.code, 0, `${args.join(" ")}: ${out.stderr}`);
  return out;
}

function digests(image: BuiltImage): string[] {
  return [image.manifest.digest, image.config.digest, ...image.layers.map((l) => l.digest)];
}

Deno.test("sregistry cache ls shows a shared layer used by both images, with human sizes", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const { a, refA, refB } = await twoImages(reg);
  await ok(home, ["pull", refA]);
  await ok(home, ["pull", refB]);
  const out = await ok(home, ["cache", "ls"]);
  const lines = out.stdout.split("\n");
  const shared = lines.find((l) => l.startsWith(a.layers[0].digest.slice(0, 19)));
  assert(shared, out.stdout);
  assertStringIncludes(shared, "test/a:v1");
  assertStringIncludes(shared, "test/b:v1");
  assertMatch(shared, / {2}20\d\.\d kB {2}/);
  const onlyA = lines.find((l) => l.startsWith(a.layers[1].digest.slice(0, 19)))!;
  assert(!onlyA.includes("test/b:v1"), onlyA);
  assertMatch(out.stdout, /7 blobs, 6\d\d\.\d kB in total in .*; 0 blobs \(0 B\) used by no image/);
});

Deno.test("sregistry cache prune removes nothing used, and after rm only that image's blobs", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const { a, b, refA, refB } = await twoImages(reg);
  await ok(home, ["pull", refA]);
  await ok(home, ["pull", refB]);
  const before = await ls(home);
  const nothing = await ok(home, ["cache", "prune"]);
  assertStringIncludes(nothing.stdout, "Removed 0 blobs, 0 B");
  assertEquals(await ls(home), before);
  const names = async () => (await ls(home)).blobs.map((x) => `${x.digest} ${x.size}`);
  const all = await names();

  await ok(home, ["rm", refA]);
  const exclusive = [a.manifest.digest, a.config.digest, a.layers[1].digest].sort();
  const dry = await ok(home, ["cache", "prune", "--dry-run"]);
  assertStringIncludes(dry.stdout, "Would remove 3 blobs");
  for (const d of exclusive) assertStringIncludes(dry.stdout, `would remove ${d}`);
  assertEquals(await names(), all, "--dry-run removed something");

  await ok(home, ["cache", "prune"]);
  const after = (await ls(home)).blobs.map((x) => x.digest);
  assertEquals(after, before.blobs.map((x) => x.digest).filter((d) => !exclusive.includes(d)));
  for (const d of digests(b)) assert(after.includes(d), `${d} of the kept image was removed`);
  // The kept image still rebuilds from the cache alone; the pruned one says what is missing.
  await ok(home, ["pull", "--offline", "--force", refB]);
  const gone = await home.run(["pull", "--offline", "--force", refA]);
  assertEquals(gone.code, 1, gone.stderr);
  assertStringIncludes(gone.stderr, "offline");
});

Deno.test("sregistry rm --prune removes only the blobs that image used", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const { a, b, refA, refB } = await twoImages(reg);
  await ok(home, ["pull", refA]);
  await ok(home, ["pull", refB]);
  const out = await ok(home, ["rm", "--prune", refB]);
  assertMatch(out.stderr, /Removed 3 blobs \(10\d\.\d kB\) only this image used/);
  const left = (await ls(home)).blobs.map((x) => x.digest);
  assertEquals(left, digests(a).sort());
  assert(!left.includes(b.layers[1].digest));
  await ok(home, ["pull", "--offline", "--force", refA]);
});

Deno.test("sregistry cache prune --max-size keeps it under the limit and names images that lost blobs", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const { a, refA, refB } = await twoImages(reg);
  await ok(home, ["pull", refA]);
  await ok(home, ["pull", refB]); // b is the most recently used
  const total = (await ls(home)).total;
  assert(total > 600_000, String(total));
  const out = await ok(home, ["cache", "prune", "--max-size", "450kB"]);
  assertMatch(out.stderr, /1 image lost blobs and can no longer be rebuilt offline/);
  assertStringIncludes(out.stderr, "test/a:v1");
  assert(!out.stderr.includes("test/b:v1"), out.stderr);
  const after = await ls(home);
  assert(after.total <= 450_000, String(after.total));
  assert(after.blobs.some((x) => x.digest === a.layers[0].digest), "the shared layer was removed");
  await ok(home, ["pull", "--offline", "--force", refB]);
  const lost = await home.run(["pull", "--offline", "--force", refA]);
  assertEquals(lost.code, 1);
  // The SIF of the image that lost blobs is kept.
  await ok(home, ["get", refA]);
  const bad = await home.run(["cache", "prune", "--max-size", "lots"]);
  assertEquals(bad.code, 2, bad.stderr);
  assertStringIncludes(bad.stderr, "500MB");
});

Deno.test("sregistry cache clean refuses without a terminal, empties the cache with --force", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const { refA, refB } = await twoImages(reg);
  await ok(home, ["pull", refA]);
  await ok(home, ["pull", refB]);
  const before = await ls(home);
  const refused = await home.run(["cache", "clean"], { stdin: "y\n" });
  assertEquals(refused.code, 2, refused.stderr);
  assertStringIncludes(refused.stderr, "--force");
  assertEquals(await ls(home), before);

  const out = await ok(home, ["cache", "clean", "--force"]);
  assertMatch(out.stdout, /Removed 7 blobs, 6\d\d\.\d kB; the cache holds 0 B/);
  assertStringIncludes(out.stderr, "2 images lost blobs");
  assertEquals((await ls(home)).blobs, []);
  const index = JSON.parse(Deno.readTextFileSync(`${before.root}/index.json`));
  assertEquals(index.manifests, []);
  const offline = await home.run(["pull", "--offline", "--force", refA]);
  assertEquals(offline.code, 1);
  await ok(home, ["pull", "--force", refA]);
  assertEquals((await ls(home)).blobs.length, 4);
});

Deno.test("sregistry cache prune during a concurrent pull removes nothing that pull needs", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const s1 = randomLayer("s1.bin", 16_000_000);
  const s2 = randomLayer("s2.bin", 16_000_000);
  const x = await buildImage({ layers: [s1, s2, randomLayer("x.bin", 1000)] });
  const p = await buildImage({ layers: [s1, s2, randomLayer("p.bin", 48_000_000)] });
  await pushImage(reg, "test/x", "v1", x);
  await pushImage(reg, "test/p", "v1", p);
  const refX = `${reg.host}/test/x:v1`;
  const refP = `${reg.host}/test/p:v1`;
  await ok(home, ["pull", refX]);
  await ok(home, ["rm", refX]); // s1 and s2 are now used by no record

  let done = false;
  const pulling = home.run(["pull", refP]).finally(() => done = true);
  let prunesDuring = 0;
  while (!done) {
    const out = await ok(home, ["cache", "prune"]);
    if (!done) prunesDuring++;
    assertStringIncludes(out.stdout, "Removed");
  }
  const pulled = await pulling;
  assertEquals(pulled.code, 0, pulled.stderr);
  assert(prunesDuring >= 1, "the pull ended before a prune ran: make the image bigger");
  const left = (await ls(home)).blobs.map((b) => b.digest);
  for (const d of digests(p)) assert(left.includes(d), `${d} needed by the pull was removed`);
  await ok(home, ["cache", "prune"]);
  const final = (await ls(home)).blobs.map((b) => b.digest);
  assertEquals(final, digests(p).sort());
  await ok(home, ["pull", "--offline", "--force", refP]);
});
