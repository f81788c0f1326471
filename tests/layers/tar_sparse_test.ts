/**
 * GNU sparse files, in every form GNU tar writes (old GNU `S` with extension
 * blocks, PAX 0.0, 0.1 and 1.0): the reader and the extractor give the file
 * they stand for, compared with GNU tar's own extraction of the same archive;
 * a corrupt map is refused with the reader's format error.
 */
import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { concat, paxRecords, resum, type SparseForm, type SparseSpec, sparseTar } from "../_tar.ts";
import { sha256 } from "../_images.ts";
import { runTool } from "../_tools.ts";
import { parsePax, TarFormatError, TarReader } from "../../src/tar/reader.ts";
import { byteStringToText } from "../../src/byte_string.ts";
import { LayerFormatError } from "../../src/layers/extract.ts";
import { sandbox, unpackTars } from "./_unpack.ts";

/** The files of `tar` as the reader gives them: name (text) to size and content digest. */
function readFiles(tar: Uint8Array, slice = 0, maxHoleBytes?: number): Map<string, string> {
  const files = new Map<string, string>();
  let name = "";
  let type = "";
  let parts: Uint8Array[] = [];
  let size = 0;
  const reader = new TarReader({
    header: (h) => {
      [name, type, size, parts] = [byteStringToText(h.name)!, h.type, h.size, []];
    },
    body: (chunk) => parts.push(chunk.slice()),
    end: () => {
      const body = concat(parts);
      assertEquals(body.length, size, `${name}: the body differs from the header's size`);
      if (type === "file") files.set(name.replace(/^\.\//, ""), `${size} ${sha256(body)}`);
    },
  }, { maxHoleBytes });
  for (let at = 0; at < tar.length; at += slice || tar.length) {
    reader.write(tar.subarray(at, at + (slice || tar.length)));
  }
  reader.close();
  return files;
}

/** The regular files GNU tar extracts from `tar`: path to size and content digest. */
async function gnuExtract(tar: Uint8Array): Promise<Map<string, string>> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/a.tar`, tar);
    Deno.mkdirSync(`${dir}/x`);
    await runTool("tar", ["-xf", `${dir}/a.tar`, "-C", `${dir}/x`]);
    const files = new Map<string, string>();
    const walk = (rel: string) => {
      for (const e of Deno.readDirSync(`${dir}/x/${rel}`)) {
        const path = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory) walk(path);
        else {
          const bytes = Deno.readFileSync(`${dir}/x/${path}`);
          files.set(path, `${bytes.length} ${sha256(bytes)}`);
        }
      }
    };
    walk("");
    return files;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * The input: `sp/pax.img`, 3 MiB made with `truncate` and `dd` at
 * offsets (holes between), and `sp/many.img`, 8 MiB with 60 data regions
 * (old GNU extension blocks, a 1.0 map over several blocks).
 */
async function sparseFolder(): Promise<string> {
  const dir = await Deno.makeTempDir();
  Deno.mkdirSync(`${dir}/sp`);
  const img = `${dir}/sp/pax.img`;
  await runTool("truncate", ["-s", "3M", img]);
  const dd = async (file: string, text: string, seek: number) => {
    Deno.writeTextFileSync(`${dir}/chunk`, text);
    await runTool("dd", [`if=${dir}/chunk`, `of=${file}`, "bs=1", `seek=${seek}`, "conv=notrunc"]);
  };
  await dd(img, "A".repeat(4000), 100_000);
  await dd(img, "BBBB", 2_000_000);
  await dd(img, "end", 3 * 2 ** 20 - 3);
  using many = Deno.openSync(`${dir}/sp/many.img`, { write: true, create: true });
  many.truncateSync(8 * 2 ** 20);
  for (let i = 1; i <= 60; i++) {
    many.seekSync(i * 130_001, Deno.SeekMode.Start);
    many.writeSync(new TextEncoder().encode(`X${i}`));
  }
  Deno.removeSync(`${dir}/chunk`);
  return dir;
}

const FORMS: [string, string[]][] = [
  ["old GNU (--format=gnu --sparse)", ["--format=gnu", "--sparse"]],
  ["PAX 0.0", ["--format=posix", "--sparse", "--sparse-version=0.0"]],
  ["PAX 0.1", ["--format=posix", "--sparse", "--sparse-version=0.1"]],
  ["PAX 1.0 (--format=posix --sparse)", ["--format=posix", "--sparse"]],
];

for (const [form, flags] of FORMS) {
  Deno.test(`TarReader gives GNU tar's ${form} sparse files as GNU tar extracts them`, async () => {
    const dir = await sparseFolder();
    try {
      const tar = await runTool("tar", [...flags, "-cf", "-", "-C", dir, "sp"]);
      assert(tar.length < 400_000, `the archive is not sparse (${tar.length} bytes)`);
      const want = await gnuExtract(tar);
      assertEquals([...want.keys()].sort(), ["sp/many.img", "sp/pax.img"]);
      assertEquals(want.get("sp/pax.img")?.split(" ")[0], String(3 * 2 ** 20));
      assertEquals(readFiles(tar), want);
      assertEquals(readFiles(tar, 700), want, "fed in 700-byte slices");
      assertEquals(readFiles(tar, 1), want, "fed a byte at a time");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("RootfsWriter unpacks the issue's `tar --format=posix --sparse` layer as sp/pax.img, 3 MiB", async () => {
  const dir = await sparseFolder();
  await using box = await sandbox();
  try {
    const tar = await runTool("tar", ["--format=posix", "--sparse", "-cf", "-", "-C", dir, "sp"]);
    await unpackTars([tar], box.root);
    assertEquals([...Deno.readDirSync(`${box.root}/sp`)].map((e) => e.name).sort(), [
      "many.img",
      "pax.img",
    ]);
    for (const name of ["pax.img", "many.img"]) {
      assertEquals(
        sha256(Deno.readFileSync(`${box.root}/sp/${name}`)),
        sha256(Deno.readFileSync(`${dir}/sp/${name}`)),
        name,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const SPEC: SparseSpec = {
  name: "f.img",
  realSize: 100,
  map: [10, 5, 50, 3],
  data: new TextEncoder().encode("helloabc"),
};
const END = new Uint8Array(1024);

Deno.test("TarReader reads sparse files written by the test writer in each form, empty maps included", () => {
  const expect = new Uint8Array(100);
  expect.set(new TextEncoder().encode("hello"), 10);
  expect.set(new TextEncoder().encode("abc"), 50);
  const forms: SparseForm[] = ["gnu", "0.0", "0.1", "1.0"];
  for (const form of forms) {
    const files = readFiles(concat([sparseTar(form, SPEC), END]));
    assertEquals(files, new Map([["f.img", `100 ${sha256(expect)}`]]), form);
    const empty = { ...SPEC, map: [], data: new Uint8Array() };
    const none = readFiles(concat([sparseTar(form, empty), END]));
    assertEquals(none, new Map([["f.img", `100 ${sha256(new Uint8Array(100))}`]]), form);
  }
});

const CORRUPT: { name: string; form: SparseForm; spec: Partial<SparseSpec>; error: string }[] = [
  { name: "overlapping regions", form: "0.1", spec: { map: [10, 5, 12, 3] }, error: "overlap" },
  { name: "regions out of order", form: "gnu", spec: { map: [50, 3, 10, 5] }, error: "order" },
  { name: "a region past the real size", form: "1.0", spec: { realSize: 52 }, error: "past" },
  { name: "more data than the map", form: "0.0", spec: { map: [10, 5] }, error: "describes 5" },
  { name: "less data than the map", form: "1.0", spec: { map: [10, 5, 50, 9] }, error: "14" },
];

for (const c of CORRUPT) {
  Deno.test(`TarReader refuses a sparse map with ${c.name} (${c.form})`, () => {
    const tar = concat([sparseTar(c.form, { ...SPEC, ...c.spec }), END]);
    assertThrows(() => readFiles(tar), TarFormatError, c.error);
  });
}

Deno.test("TarReader refuses malformed sparse records and maps", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const ok = concat([sparseTar("1.0", SPEC), END]);
  const at = (tar: Uint8Array, text: string) => {
    for (let i = 0; i < tar.length; i++) {
      if (enc(text).every((b, j) => tar[i + j] === b)) return i;
    }
    throw new Error(`no ${text}`);
  };
  const edited = (tar: Uint8Array, from: string, to: string) => {
    const out = tar.slice();
    out.set(enc(to), at(out, from));
    return out;
  };
  const cases: [string, Uint8Array][] = [
    ["a letter in a 1.0 map", edited(ok, "2\n10\n5\n", "2\n1x\n5\n")],
    ["a 1.0 map that ends before its count", edited(ok, "2\n10\n5\n", "9\n10\n5\n")],
    ["a 1.0 map claiming 2^40 regions", edited(ok, "2\n10\n5\n", "1099511627776\n")],
    ["a bad real size", edited(ok, "realsize=100", "realsize=1e2")],
    [
      "0.1 with a map of the wrong length",
      edited(concat([sparseTar("0.1", SPEC), END]), "numblocks=2", "numblocks=3"),
    ],
  ];
  const star = concat([sparseTar("gnu", SPEC), END]);
  star.set(enc("ustar\x0000"), 257); // an `S` entry of another format (star)
  resum(star.subarray(0, 512));
  cases.push(["an S entry without the GNU magic", star]);
  for (const [name, tar] of cases) {
    let error: unknown;
    try {
      readFiles(tar);
    } catch (e) {
      error = e;
    }
    assert(error instanceof TarFormatError, `${name}: ${error}`);
  }
  const swapped = paxRecords([["GNU.sparse.numbytes", "5"], ["GNU.sparse.offset", "10"]]);
  assertThrows(() => parsePax(swapped), TarFormatError, "order");
});

Deno.test("TarReader refuses sparse holes past its ceiling (the layer ceiling in the extractor) and corrupt maps name the layer", async () => {
  const huge = { ...SPEC, realSize: 2 ** 40 };
  const tar = concat([sparseTar("1.0", huge), END]);
  assertThrows(() => readFiles(tar, 0, 1 << 20), TarFormatError, "holes");
  await using box = await sandbox();
  const bomb = unpackTars([tar], box.root, { maxLayerBytes: 1 << 20 });
  await assertRejects(() => bomb, LayerFormatError, "raise SREGISTRY_MAX_LAYER_SIZE");
  const bad = concat([sparseTar("0.1", { ...SPEC, map: [10, 5, 12, 3] }), END]);
  await assertRejects(() => unpackTars([bad], box.root), LayerFormatError, "layer0");
});
