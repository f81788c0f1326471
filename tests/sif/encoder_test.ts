import { assertEquals, assertThrows } from "../_assert.ts";
import { layoutSif, SIF_DATA, SIF_FS, SIF_PART, sifArchCode } from "../../src/sif/encoder.ts";
import { writeSif } from "../../src/sif/writer.ts";

const FIXTURES = new URL("../../../shared/fixtures/sif/", import.meta.url);
const hasFixtures = (() => {
  try {
    return Deno.statSync(FIXTURES).isDirectory;
  } catch {
    return false;
  }
})();

function fixture(name: string): Uint8Array {
  return Deno.readFileSync(new URL(name, FIXTURES));
}

function u64(bytes: Uint8Array, at: number): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset).getBigInt64(at, true));
}

async function written(
  objects: Parameters<typeof writeSif>[1],
  options?: Parameters<typeof writeSif>[2],
): Promise<Uint8Array> {
  const path = await Deno.makeTempFile({ suffix: ".sif" });
  try {
    await writeSif(path, objects, options);
    return await Deno.readFile(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("sifArchCode() maps GOARCH names to SIF codes", () => {
  const table: [string, string][] = [
    ["386", "01"],
    ["amd64", "02"],
    ["arm64", "04"],
    [
      "ppc64le",
      "06",
    ],
    ["s390x", "11"],
    ["riscv64", "12"],
    ["loong64", "13"],
    ["sparc", "00"],
  ];
  for (const [arch, code] of table) assertEquals(sifArchCode(arch), code, arch);
});

Deno.test("layoutSif() places objects after the table, partitions aligned to 4096", () => {
  const layout = layoutSif([
    { type: SIF_DATA.DEFFILE, size: 37 },
    { type: SIF_DATA.GENERIC_JSON, name: "oci-config.json", size: 2 },
    {
      type: SIF_DATA.PARTITION,
      size: 4096,
      partition: { fsType: SIF_FS.SQUASHFS, partType: SIF_PART.PRIMSYS, arch: "amd64" },
    },
  ], { deterministic: true });
  assertEquals(layout.head.length, 32176);
  assertEquals(layout.objects, [{ offset: 32176, padding: 0 }, { offset: 32213, padding: 0 }, {
    offset: 32768,
    padding: 553,
  }]);
  assertEquals(layout.fileSize, 36864);
  assertEquals(new TextDecoder().decode(layout.head.subarray(45, 47)), "02");
  assertEquals(u64(layout.head, 80), 45); // free descriptors
  assertEquals(u64(layout.head, 120), 36864 - 32176); // data size
  assertEquals(u64(layout.head, 4096 + 2 * 585 + 33), 553 + 4096); // storelen
});

Deno.test("layoutSif() rejects a second primary partition and bad names", () => {
  const prim = {
    type: SIF_DATA.PARTITION,
    size: 1,
    partition: { fsType: 1, partType: SIF_PART.PRIMSYS, arch: "amd64" },
  };
  assertThrows(() => layoutSif([prim, prim]), RangeError);
  assertThrows(() => layoutSif([{ type: SIF_DATA.GENERIC, size: 1, name: "x".repeat(129) }]));
  assertThrows(() => layoutSif([{ type: SIF_DATA.PARTITION, size: 1 }]), TypeError);
});

Deno.test("layoutSif() without options gives a random UUID and the current time", () => {
  const a = layoutSif([]).head, b = layoutSif([]).head;
  assertEquals(a.subarray(48, 64).some((x) => x !== 0), true);
  assertEquals(a.subarray(48, 64).join() === b.subarray(48, 64).join(), false);
  const now = Date.now() / 1000;
  assertEquals(Math.abs(u64(a, 64) - now) < 5, true);
  assertEquals(new TextDecoder().decode(a.subarray(0, 31)), "#!/usr/bin/env run-singularity\n");
});

Deno.test({
  name: "writeSif() matches empty.sif byte for byte",
  ignore: !hasFixtures,
  async fn() {
    assertEquals(
      await written([], { deterministic: true, launchScript: "" }),
      fixture("empty.sif"),
    );
  },
});

Deno.test({
  name: "writeSif() matches one-object-generic-json.sif byte for byte",
  ignore: !hasFixtures,
  async fn() {
    const data = new TextEncoder().encode("{}");
    const got = await written(
      [{ type: SIF_DATA.GENERIC_JSON, name: "data.json", size: 2, source: data }],
      { deterministic: true, launchScript: "" },
    );
    assertEquals(got, fixture("one-object-generic-json.sif"));
  },
});

Deno.test({
  name: "writeSif() matches the sylabs one-group.sif byte for byte",
  ignore: !hasFixtures,
  async fn() {
    const ref = fixture("one-group.sif");
    const got = await written([
      {
        type: SIF_DATA.PARTITION,
        size: 4,
        source: ref.slice(32768, 32772),
        partition: { fsType: SIF_FS.RAW, partType: SIF_PART.SYSTEM, arch: "386" },
      },
      {
        type: SIF_DATA.PARTITION,
        size: 4096,
        source: ref.slice(36864, 40960),
        partition: { fsType: SIF_FS.SQUASHFS, partType: SIF_PART.PRIMSYS, arch: "386" },
      },
    ], { deterministic: true, launchScript: "" });
    assertEquals(got, ref);
  },
});

Deno.test({
  name: "writeSif() matches example-siftool-built.sif, squashfs streamed from a file",
  ignore: !hasFixtures,
  async fn() {
    const ref = fixture("example-siftool-built.sif");
    const created = u64(ref, 64);
    const squashfs = await Deno.makeTempFile();
    await Deno.writeFile(squashfs, ref.slice(32768)); // root.squashfs is another image
    const got = await written([
      { type: SIF_DATA.DEFFILE, size: 37, source: ref.slice(32176, 32213) },
      {
        type: SIF_DATA.GENERIC_JSON,
        name: "oci-config.json",
        size: 2,
        source: ref.slice(32213, 32215),
      },
      {
        type: SIF_DATA.PARTITION,
        size: 4096,
        source: { file: squashfs },
        partition: { fsType: SIF_FS.SQUASHFS, partType: SIF_PART.PRIMSYS, arch: "amd64" },
      },
    ], { launchScript: "", uuid: ref.slice(48, 64), createdAt: created, modifiedAt: u64(ref, 72) });
    await Deno.remove(squashfs);
    assertEquals(got, ref);
  },
});

Deno.test("writeSif() in deterministic mode writes identical files for identical inputs", async () => {
  const objects = [
    { type: SIF_DATA.DEFFILE, size: 3, source: new Uint8Array([1, 2, 3]) },
    {
      type: SIF_DATA.PARTITION,
      size: 5,
      source: new Uint8Array(5).fill(7),
      partition: { fsType: 1, partType: 2, arch: "arm64" },
    },
  ];
  const a = await written(objects, { deterministic: true });
  const b = await written(objects, { deterministic: true });
  assertEquals(a, b);
  assertEquals(a.subarray(48, 64), new Uint8Array(16));
  assertEquals(u64(a, 64), -62135596800);
});

Deno.test("writeSif() refuses a size that differs from its source", async () => {
  const path = await Deno.makeTempFile();
  try {
    let failed = false;
    await writeSif(path, [{ type: SIF_DATA.GENERIC, size: 4, source: new Uint8Array(3) }])
      .catch((e) => failed = e instanceof RangeError);
    assertEquals(failed, true);
  } finally {
    await Deno.remove(path);
  }
});
