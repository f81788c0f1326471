/**
 * A seeded fuzz of tar headers (`SREGISTRY_FUZZ_SEED` reproduces a run):
 * archives of random entries (names with bytes that are not UTF-8, overlong
 * UTF-8, long names through PAX or GNU `L`, links, and sparse files in every
 * GNU form with random maps) must read back exactly as the generator's model
 * says, and as GNU tar extracts them; the same archives with header fields,
 * PAX numbers, sparse maps and lengths changed must read back or be refused
 * with the reader's typed errors only: never a TypeError or RangeError, never
 * more output than the ceilings allow.
 */
import { rng } from "../_random.ts";
import { assert, assertEquals } from "../_assert.ts";
import { sha256 } from "../_images.ts";
import { buildTar, concat, resum, type SparseForm, sparseTar } from "../_tar.ts";
import { TarFormatError, TarReader, TarTruncatedError } from "../../src/layers/tar_reader.ts";
import { bytesToByteString } from "../../src/byte_string.ts";

const SEED = Number(Deno.env.get("SREGISTRY_FUZZ_SEED") ?? 20261130);
const FORMS: SparseForm[] = ["gnu", "0.0", "0.1", "1.0"];
const MAX_HOLES = 4 << 20;

/** What an entry should read back as: name, type, size, link target, content digest. */
type Model = [string, string, number, string, string];

/** Random name bytes: ASCII, Latin-1, bytes over 0x7f, overlong and valid UTF-8; no NUL or "/". */
function nameBytes(random: () => number, length: number): string {
  const pieces = [
    "a",
    "b",
    "_",
    "-",
    ".x",
    "\xe9",
    "\xff",
    "\x80",
    "\xc0\xaf",
    "\xc3\xa9",
    "\xe6\x97\xa5",
  ];
  let out = "";
  while (out.length < length) out += pieces[Math.floor(random() * pieces.length)];
  return out;
}

/**
 * A random archive and its model. With `aligned`, sparse maps are as GNU tar
 * writes them: regions start and (but the last) end on 512-byte boundaries,
 * and the last ends at the real size. GNU tar's reader pads each region's
 * data to a block and sizes the file by its last region, where Go's
 * archive/tar (and this reader) take the data as contiguous and the real size
 * from the header; the two agree on such maps.
 */
function generate(random: () => number, aligned: boolean): { tar: Uint8Array; model: Model[] } {
  const parts: Uint8Array[] = [];
  const model: Model[] = [];
  const count = 1 + Math.floor(random() * 5);
  for (let i = 0; i < count; i++) {
    const long = random() < 0.2;
    const name = `e${i}/${
      nameBytes(random, long ? 120 + Math.floor(random() * 60) : 1 + Math.floor(random() * 20))
    }`;
    const kind = random();
    if (kind < 0.45) {
      const form = FORMS[Math.floor(random() * FORMS.length)];
      const realSize = 1 + Math.floor(random() * 20_000);
      const map: number[] = [];
      let at = 0;
      while (at < realSize && map.length < 2 * 30) {
        const align = (n: number) => aligned ? Math.ceil(n / 512) * 512 : n;
        const offset = align(
          at + Math.floor(random() * (realSize - at) * (random() < 0.5 ? 0 : 0.3)),
        );
        if (offset >= realSize) break;
        const length = Math.min(realSize - offset, align(Math.floor(random() * 1400)));
        map.push(offset, length);
        at = offset + length + 1 + Math.floor(random() * 2000);
      }
      // GNU tar ends every map with a region reaching the real size (it makes the file no longer).
      const end = map.length === 0 ? 0 : map[map.length - 2] + map[map.length - 1];
      if (map.length === 0 || (aligned && end < realSize)) map.push(realSize, 0);
      const total = map.filter((_, j) => j % 2 === 1).reduce((a, b) => a + b, 0);
      const data = Uint8Array.from({ length: total }, () => 1 + Math.floor(random() * 255));
      const file = new Uint8Array(realSize);
      for (let j = 0, used = 0; j < map.length; j += 2) {
        file.set(data.subarray(used, used + map[j + 1]), map[j]);
        used += map[j + 1];
      }
      const sparseName = form === "gnu" || form === "0.0" ? name.slice(0, 99) : name;
      parts.push(sparseTar(form, { name: sparseName, realSize, map, data }));
      model.push([sparseName, "file", realSize, "", sha256(file)]);
    } else if (kind < 0.8) {
      const content = Uint8Array.from({ length: Math.floor(random() * 1500) }, (_, j) => j);
      const tar = buildTar([{ name, content, byteNames: true }]);
      parts.push(tar.subarray(0, tar.length - 1024));
      model.push([name, "file", content.length, "", sha256(content)]);
    } else {
      const target = nameBytes(random, 1 + Math.floor(random() * (long ? 150 : 30)));
      const tar = buildTar([{ name, type: "symlink", linkname: target, byteNames: true }]);
      parts.push(tar.subarray(0, tar.length - 1024));
      model.push([name, "symlink", 0, target, sha256(new Uint8Array())]);
    }
  }
  parts.push(new Uint8Array(1024));
  return { tar: concat(parts), model };
}

/** Reads `tar` in random slices; returns the model of what it gave. */
function read(tar: Uint8Array, random: () => number, keep: boolean): Model[] {
  const out: Model[] = [];
  let parts: Uint8Array[] = [];
  let emitted = 0;
  const reader = new TarReader({
    header: (h) => {
      out.push([h.name, h.type, h.size, h.linkname, ""]);
      parts = [];
    },
    body: (chunk) => {
      emitted += chunk.length;
      assert(
        emitted <= MAX_HOLES + tar.length,
        `seed ${SEED}: ${emitted} bytes out of ${tar.length}`,
      );
      if (keep) parts.push(chunk.slice());
    },
    end: () => {
      const last = out[out.length - 1];
      const body = concat(parts);
      if (keep) assertEquals(body.length, last[2], `seed ${SEED}: body of ${last[0]}`);
      last[4] = sha256(body);
    },
  }, { maxHoleBytes: MAX_HOLES });
  for (let at = 0; at < tar.length;) {
    const n = random() < 0.3 ? tar.length : 1 + Math.floor(random() * 2000);
    reader.write(tar.subarray(at, at + n));
    at += n;
  }
  reader.close();
  return out;
}

const INTERESTING = [
  0,
  50,
  99,
  124,
  130,
  135,
  156,
  157,
  257,
  262,
  263,
  345,
  386,
  398,
  410,
  482,
  483,
  490,
];

/** The archive with a few changes: header fields (checksum fixed or not), digits, truncation. */
function mutate(tar: Uint8Array, random: () => number): Uint8Array {
  const out = tar.slice();
  const headers: number[] = [];
  for (let at = 0; at + 512 <= out.length; at += 512) {
    const block = out.subarray(at, at + 512);
    const stored = parseInt(new TextDecoder().decode(block.subarray(148, 155)), 8);
    const sum = block.reduce((a, b, i) => a + (i >= 148 && i < 156 ? 32 : b), 0);
    if (stored === sum) headers.push(at);
  }
  const values = [0, 0x20, 0x0a, 0x2c, 0x30, 0x37, 0x39, 0x80, 0xff, 0x53, 0x78, 0x4c];
  for (let edits = 1 + Math.floor(random() * 4); edits > 0; edits--) {
    const r = random();
    if (r < 0.1) return out.subarray(0, Math.floor(random() * out.length));
    if (r < 0.55 && headers.length > 0) {
      const at = headers[Math.floor(random() * headers.length)];
      const field = random() < 0.6
        ? INTERESTING[Math.floor(random() * INTERESTING.length)] + Math.floor(random() * 4)
        : Math.floor(random() * 512);
      out[at + field] = random() < 0.6
        ? values[Math.floor(random() * values.length)]
        : Math.floor(random() * 256);
      if (random() < 0.85) resum(out.subarray(at, at + 512));
      continue;
    }
    // A digit somewhere (PAX numbers, sparse maps, octal fields): record lengths stay right.
    let at = Math.floor(random() * out.length);
    while (at < out.length && (out[at] < 0x30 || out[at] > 0x39)) at++;
    if (at < out.length) out[at] = 0x30 + Math.floor(random() * 10);
    const block = at - at % 512;
    if (headers.includes(block)) resum(out.subarray(block, block + 512));
  }
  return out;
}

/** What GNU tar extracts: path (byte string) to content digest, symlinks to their target. */
async function gnuTar(tar: Uint8Array): Promise<Map<string, string>> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/a.tar`, tar);
    await Deno.mkdir(`${dir}/x`);
    const x = await new Deno.Command("tar", { args: ["-xf", "../a.tar"], cwd: `${dir}/x` })
      .output();
    assert(x.success, `seed ${SEED}: GNU tar: ${new TextDecoder().decode(x.stderr)}`);
    // Names that are not UTF-8 reach the shell as bytes: `find -printf` prints them raw.
    const found = await new Deno.Command("sh", {
      args: [
        "-c",
        `find . -type f -printf '%p\\0' -exec sha256sum {} \\; -o -type l -printf '%p\\0%l\\0link\\n'`,
      ],
      cwd: `${dir}/x`,
    }).output();
    const files = new Map<string, string>();
    const text = bytesToByteString(found.stdout);
    for (const line of text.split("\n").filter((l) => l !== "")) {
      const [path, rest, link] = line.split("\0");
      files.set(path.slice(2), link === "link" ? `-> ${rest}` : `sha256:${rest.slice(0, 64)}`);
    }
    return files;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("TarReader reads random archives (sparse in every form, names that are not UTF-8) as their model and GNU tar", async () => {
  const random = rng(SEED);
  const deadline = Date.now() + 2500;
  let runs = 0;
  let compared = 0;
  while (runs < 400 && (runs < 30 || Date.now() < deadline)) {
    runs++;
    const aligned = runs % 8 === 1 && compared < 6;
    const { tar, model } = generate(random, aligned || random() < 0.3);
    assertEquals(read(tar, random, true), model, `seed ${SEED} run ${runs}`);
    if (aligned) {
      compared++;
      const want = new Map(model.map(([name, type, , link, digest]) => [
        name,
        type === "symlink" ? `-> ${link}` : digest,
      ]));
      assertEquals(await gnuTar(tar), want, `seed ${SEED} run ${runs}: GNU tar differs`);
    }
  }
  assert(compared >= 2, `only ${compared} comparisons with GNU tar`);
});

Deno.test("TarReader refuses mutated archives only with its typed errors, within its ceilings", () => {
  const random = rng(SEED + 1);
  const deadline = Date.now() + 2500;
  let runs = 0;
  const outcomes = { read: 0, format: 0, truncated: 0 };
  while (runs < 3000 && (runs < 100 || Date.now() < deadline)) {
    runs++;
    const tar = mutate(generate(random, random() < 0.5).tar, random);
    try {
      read(tar, random, false);
      outcomes.read++;
    } catch (e) {
      if (e instanceof TarFormatError) outcomes.format++;
      else if (e instanceof TarTruncatedError) outcomes.truncated++;
      else {throw new Error(
          `seed ${SEED + 1} run ${runs}: untyped error ${(e as Error)?.stack ?? e}`,
        );}
    }
  }
  assert(outcomes.format > 10 && outcomes.read > 10, JSON.stringify(outcomes));
});
