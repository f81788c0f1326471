/**
 * Faulty layer archives served by the real registry, pulled on the SIF road
 * (native writer) and the `--sandbox` road: each is refused alike, with a
 * message naming the entry, the record or field and the value (or the last
 * good entry and the byte offset), exit 1, and nothing left behind. Go's
 * archive/tar (Docker, umoci) refuses the same headers (`mergePAX`:
 * `strconv.ParseInt`, `parsePAXTime`).
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_assert.ts";
import { type CliHome, cliHome } from "../_cli.ts";
import { blob, gzip, imageOfBlobs, imageOfTars, sha256 } from "../_images.ts";
import { pushImage, startRegistry, type TestRegistry } from "../_registry.ts";
import { readAll } from "../_readers.ts";
import { buildTar, concat, rawHeader, resum, type TarEntry } from "../_tar.ts";
import { partitionOffset } from "./_sif_image.ts";

const ROADS = ["native", "sandbox"] as const;

/** Pulls `ref` on `road` into a fresh output; the result and where the output would be. */
async function pull(home: CliHome, reg: TestRegistry, ref: string, road: string, tag: string) {
  const out = road === "sandbox" ? `${home.home}/sb-${tag}` : `${home.home}/${tag}.sif`;
  const args = road === "sandbox" ? ["--sandbox", out] : ["--builder", road, "--name", out];
  const r = await home.run(["pull", ...args, `${reg.host}/${ref}`]);
  return { ...r, out };
}

/** Pushes `tars` as `test/faults:<tag>` and checks every road refuses it with `includes`. */
async function refusedEverywhere(
  reg: TestRegistry,
  home: CliHome,
  tag: string,
  tars: Uint8Array[],
  includes: string[],
): Promise<void> {
  await pushImage(reg, "test/faults", tag, await imageOfTars(tars));
  for (const road of ROADS) {
    const r = await pull(home, reg, `test/faults:${tag}`, road, `${tag}-${road}`);
    const what = `${tag} on ${road}: ${r.stderr}`;
    assertEquals(r.code, 1, what);
    for (const text of includes) assertStringIncludes(r.stderr, text, what);
    let left: string[] = [];
    try {
      left = [...Deno.readDirSync(r.out)].map((e) => e.name);
    } catch (e) {
      assert(e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory, what);
    }
    assertEquals(left, [], `${what}: left behind`);
    try {
      Deno.statSync(r.out);
      assert(road === "sandbox", `${what}: a SIF was written`);
    } catch (e) {
      assert(e instanceof Deno.errors.NotFound, what);
    }
  }
}

/** A layer: a good entry, then `f` with the PAX records `pax`. */
function withPax(pax: Record<string, string>): Uint8Array {
  const entries: TarEntry[] = [{ name: "ok", content: "fine" }, { name: "f", content: "x", pax }];
  return buildTar(entries);
}

const BAD_PAX: [string, string][] = [
  ["uid", "12abc"],
  ["uid", "-5"],
  ["uid", "99999999999999999999"],
  ["uid", "4294967301"],
  ["uid", "4294967295"],
  ["gid", "12abc"],
  ["gid", "-5"],
  ["gid", "4294967301"],
  ["mtime", "1e999"],
  ["mtime", "99999999999999999999"],
  ["atime", "12abc"],
  ["ctime", "soon"],
  ["size", "-5"],
  ["size", "12abc"],
];

Deno.test("bad PAX numbers (uid, gid, times, size) are refused on every road, naming entry, record and value", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  for (const [i, [key, value]] of BAD_PAX.entries()) {
    await refusedEverywhere(reg, home, `pax${i}`, [withPax({ [key]: value })], [
      `entry "f" has the PAX record ${key}=${JSON.stringify(value)}, which is not`,
      'after entry "ok"',
    ]);
  }
});

Deno.test("bad GNU sparse numbers and base-256 ids are refused on every road, naming the entry", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const sparse = { "GNU.sparse.numblocks": "1", "GNU.sparse.map": "0,1" };
  await refusedEverywhere(reg, home, "sparse-size", [
    withPax({ ...sparse, "GNU.sparse.size": "12abc" }),
  ], [`entry "f": the PAX record GNU.sparse.size has "12abc", which is not a decimal number`]);
  await refusedEverywhere(reg, home, "sparse-map", [
    withPax({ "GNU.sparse.numblocks": "1", "GNU.sparse.map": "-1,1", "GNU.sparse.size": "1" }),
  ], [`entry "f": the PAX record GNU.sparse.map has "-1", which is not a decimal number`]);
  // uid 2^33 in base-256 (the top bit of the field's first byte set), as GNU tar writes big ids.
  const h = rawHeader({ name: "big", typeflag: "0" });
  h.fill(0, 108, 116);
  h[108] = 0x80;
  h[111] = 2; // bytes 108..115 big-endian: 2 << 32
  const tar = concat([buildTar([{ name: "ok", content: "fine" }]).subarray(0, 1024), resum(h)]);
  await refusedEverywhere(reg, home, "base256", [concat([tar, new Uint8Array(1024)])], [
    `entry "big" has the uid field "8589934592", which is not an id from 0 to 4294967294`,
  ]);
});

Deno.test("a symlink target over 4095 bytes is refused on every road; 4095 bytes is kept", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const target = (n: number) => `${"d/".repeat(n / 2)}`.slice(0, n - 1) + "x";
  await refusedEverywhere(reg, home, "long-link", [
    buildTar([{ name: "ok", content: "fine" }, {
      name: "s",
      type: "symlink",
      linkname: target(5000),
    }]),
  ], [`entry "s"`, "the symbolic link's target is 5000 bytes long, over 4095 (Linux's PATH_MAX)"]);
  const longest = target(4095);
  assertEquals(longest.length, 4095);
  await pushImage(
    reg,
    "test/faults",
    "link4095",
    await imageOfTars([buildTar([
      { name: "s", type: "symlink", linkname: longest },
    ])]),
  );
  for (const road of ROADS) {
    const r = await pull(home, reg, "test/faults:link4095", road, `link4095-${road}`);
    assertEquals(r.code, 0, `${road}: ${r.stderr}`);
    if (road === "sandbox") {
      assertEquals(Deno.readLinkSync(`${r.out}/s`), longest);
      continue;
    }
    const readers = await readAll(r.out, { offset: await partitionOffset(r.out) });
    assert(readers.size >= 2, `only ${[...readers.keys()]} could read the SIF`);
    for (const [reader, listing] of readers) {
      assertEquals(listing.find((n) => n.path === "s")?.target, longest, reader);
    }
  }
});

Deno.test("a fault after good entries names the last good entry and the byte offset, on every road", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const two = buildTar([{ name: "a", content: "1" }, { name: "b", content: "2" }]);
  const body = two.subarray(0, two.length - 1024); // a (1024 bytes), b (1024 bytes)
  // A lone zero block, then a header: a damaged end of archive, at byte 2560.
  const lone = concat([body, new Uint8Array(512), rawHeader({ name: "c", typeflag: "0" })]);
  await refusedEverywhere(reg, home, "lone-zero", [lone], [
    'a header follows a lone zero block (damaged end of archive) (after entry "b", at byte 2560 of the uncompressed layer)',
  ]);
  // A directory with a body: Go's archive/tar reads no body for it, so the body is a bad header.
  const dir = rawHeader({ name: "d/", typeflag: "5", size: 512 });
  const junk = new Uint8Array(512).fill(0x41);
  await refusedEverywhere(
    reg,
    home,
    "dir-body",
    [concat([body, dir, junk, new Uint8Array(1024)])],
    [
      '(after entry "d/", at byte 2560 of the uncompressed layer)',
    ],
  );
  // The archive ends halfway through a header.
  const cut = concat([body, rawHeader({ name: "c", typeflag: "0" }).subarray(0, 256)]);
  await refusedEverywhere(reg, home, "cut-header", [cut], [
    'the archive ends inside a header (after entry "b", at byte 2304 of the uncompressed layer)',
  ]);
  // A PAX record whose length runs past its entry.
  const pax = new TextEncoder().encode("99 path=x\n");
  const badPax = concat([
    body,
    rawHeader({ name: "PaxHeader", typeflag: "x", size: pax.length }),
    pax,
    new Uint8Array(512 - pax.length),
    rawHeader({ name: "c", typeflag: "0" }),
    new Uint8Array(1024),
  ]);
  await refusedEverywhere(reg, home, "bad-pax", [badPax], [
    'a PAX record has a bad length (after entry "b", at byte 2560 of the uncompressed layer)',
  ]);
});

Deno.test("junk after the gzip member names an entry read before it, on every road", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  // Random content: the layer spans many chunks, so entries are read before the junk is.
  const big = crypto.getRandomValues(new Uint8Array(65536));
  const entries: TarEntry[] = [];
  for (let i = 0; i < 40; i++) entries.push({ name: `f${i}`, content: big });
  const whole = buildTar(entries);
  const tar = whole.subarray(0, whole.length - 1024); // no end marker: the junk is read
  const packed = concat([await gzip(tar), new Uint8Array(64).fill(0x5a)]);
  const layer = blob("application/vnd.oci.image.layer.v1.tar+gzip", packed);
  await pushImage(reg, "test/faults", "junk", imageOfBlobs([layer], [sha256(tar)], [tar]));
  for (const road of ROADS) {
    const r = await pull(home, reg, "test/faults:junk", road, `junk-${road}`);
    assertEquals(r.code, 1, `${road}: ${r.stderr}`);
    assertMatch(r.stderr, /Cannot unpack layer \S+: .* \((in|after) entry "f\d+"\)/, road);
  }
});
