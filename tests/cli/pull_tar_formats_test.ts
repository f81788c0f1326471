/**
 * `sregistry pull` of layers GNU tar writes that need more than ustar: a GNU
 * sparse file (`tar --format=posix --sparse`) and names that are not UTF-8.
 * The SIF is read back with the real tools (siftool for the partition,
 * `unsquashfs -lls` for the listing, `sqfs2tar` for names and content byte
 * for byte); `--sandbox` gives the sparse file, and stops at names Deno
 * cannot create, naming them and leaving no partial sandbox.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { imageOfTars, sha256 } from "../_images.ts";
import { pushImage, startRegistry } from "../_registry.ts";
import { gnuSparseTar, runTool } from "../_tools.ts";
import { buildTar, concat } from "../_tar.ts";
import { TarReader } from "../../src/tar/reader.ts";
import { bytesToByteString } from "../../src/byte_string.ts";

/** The sparse layer: `sp/pax.img`, 3 MiB with holes, by `tar --format=posix --sparse`. */
async function sparseLayer(dir: string): Promise<{ tar: Uint8Array; digest: string }> {
  const layer = await gnuSparseTar(dir, "pax.img", "3M", "data ".repeat(900), [100000, 2000000]);
  assertStringIncludes(bytesToByteString(layer.tar), "GNU.sparse.major=1");
  return layer;
}

const NAMES = [
  "chan/caf\xe9.txt",
  "c/r\xe9sum\xe9",
  "c/r\xe8sum\xe8",
  `long/${"n".repeat(110)}\xff`,
];

/** Files and symlinks of the SIF's squashfs, by name (byte string): content digest or target. */
async function sifContent(sif: string, work: string): Promise<Map<string, string>> {
  const list = new TextDecoder().decode(await runTool("siftool", ["list", sif]));
  const fs = /\n\d+\s*\|1\s*\|NONE\s*\|(\d+)-(\d+)\s*\|FS/.exec(list);
  assert(fs, list);
  const bytes = Deno.readFileSync(sif).subarray(Number(fs[1]), Number(fs[2]));
  Deno.writeFileSync(`${work}/part.sqfs`, bytes);
  const listing = bytesToByteString(await runTool("unsquashfs", ["-lls", `${work}/part.sqfs`]));
  for (const name of NAMES) assertStringIncludes(listing, `squashfs-root/${name}`);
  const tar = await runTool("sqfs2tar", [`${work}/part.sqfs`]);
  const out = new Map<string, string>();
  let parts: Uint8Array[] = [];
  let name = "";
  const reader = new TarReader({
    header: (h) => {
      name = h.name;
      parts = [];
      if (h.type === "symlink") out.set(name, `-> ${h.linkname}`);
    },
    body: (c) => parts.push(c.slice()),
    end: () => {
      if (!out.has(name)) out.set(name, sha256(concat(parts)));
    },
  });
  reader.write(tar);
  reader.close();
  return out;
}

Deno.test("sregistry pull keeps names that are not UTF-8 byte for byte, and GNU sparse files whole, in the SIF", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const sparse = await sparseLayer(home.home);
  const names = buildTar([
    ...NAMES.map((name, i) => ({ name, content: `file ${i}`, byteNames: true })),
    { name: "c/link\x80", type: "symlink", linkname: "r\xe9sum\xe9", byteNames: true },
  ]);
  await pushImage(reg, "test/formats", "v1", await imageOfTars([sparse.tar, names]));
  const pulled = await home.run(["pull", `${reg.host}/test/formats:v1`]);
  assertEquals(pulled.code, 0, pulled.stderr);
  const files = await sifContent(pulled.stdout.trim(), home.home);
  for (const [i, name] of NAMES.entries()) {
    assertEquals(files.get(name), sha256(new TextEncoder().encode(`file ${i}`)), name);
  }
  assertEquals(files.get("c/link\x80"), "-> r\xe9sum\xe9");
  assertEquals(files.get("sp/pax.img"), sparse.digest);
  assert(![...files.keys()].some((n) => n.includes("GNUSparseFile")), [...files.keys()].join());
});

Deno.test("sregistry pull --sandbox unpacks a GNU sparse file, and stops at names that are not UTF-8 leaving nothing", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const sparse = await sparseLayer(home.home);
  await pushImage(reg, "test/sparse", "v1", await imageOfTars([sparse.tar]));
  const box = `${home.home}/box`;
  const ok = await home.run(["pull", "--sandbox", box, `${reg.host}/test/sparse:v1`]);
  assertEquals(ok.code, 0, ok.stderr);
  assertEquals(sha256(Deno.readFileSync(`${box}/sp/pax.img`)), sparse.digest);
  assertEquals([...Deno.readDirSync(`${box}/sp`)].map((e) => e.name), ["pax.img"]);

  const names = buildTar([
    { name: "first.txt", content: "written before the bad names" },
    ...NAMES.map((name, i) => ({ name, content: `file ${i}`, byteNames: true })),
  ]);
  await pushImage(reg, "test/names", "v1", await imageOfTars([sparse.tar, names]));
  for (const existed of [false, true]) {
    const target = `${home.home}/names-${existed}`;
    if (existed) Deno.mkdirSync(target);
    const bad = await home.run(["pull", "--sandbox", target, `${reg.host}/test/names:v1`]);
    assertEquals(bad.code, 1, bad.stderr);
    assertStringIncludes(bad.stderr, "4 entries whose names or link targets are not UTF-8");
    assertStringIncludes(bad.stderr, '"chan/caf\\xe9.txt", "c/r\\xe9sum\\xe9", "c/r\\xe8sum\\xe8"');
    assertStringIncludes(bad.stderr, "pull it into a SIF instead");
    assert(!/[\x80-\xff]|\ufffd/.test(bad.stderr), `raw bytes in the message: ${bad.stderr}`);
    const left = existed ? [...Deno.readDirSync(target)].map((e) => e.name) : [];
    assertEquals(left, [], "a partial sandbox was left");
    if (!existed) {
      let gone = false;
      try {
        Deno.statSync(target);
      } catch (e) {
        gone = e instanceof Deno.errors.NotFound;
      }
      assert(gone, `${target} was left`);
    }
  }
});
