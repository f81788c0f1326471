/**
 * tar2sqfsArgs(), makeSquashfsFromTar() with the real tar2sqfs, and
 * buildSifFromTar() checked with siftool and unsquashfs.
 */
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "../_assert.ts";
import { buildTar } from "../_tar.ts";
import { streamOf } from "../layers/_unpack.ts";
import { SregistryError } from "../../src/errors.ts";
import { buildSifFromTar, canStream } from "../../src/build/builder.ts";
import { flattenLayers } from "../../src/build/flatten.ts";
import { definitionFile, ociConfigJson } from "../../src/build/metadata.ts";
import { makeSquashfsFromTar, tar2sqfsArgs } from "../../src/build/tar2sqfs.ts";
import { METADATA } from "./_flatten_compare.ts";

const BASE = ["--quiet", "--force", "--no-skip", "--no-xattr"];

Deno.test("tar2sqfsArgs() maps compression, level, jobs and times", () => {
  const cases: [Parameters<typeof tar2sqfsArgs>[0], string[]][] = [
    [
      { output: "o", compression: "gzip", processors: 2, mkfsTime: 5 },
      [
        ...BASE,
        "-c",
        "gzip",
        "-X",
        "level=1",
        "-j",
        "2",
        "--defaults",
        "uid=0,gid=0,mode=0755,mtime=5",
        "o",
      ],
    ],
    [
      { output: "o", compression: "zstd", processors: 1, mkfsTime: 5 },
      [
        ...BASE,
        "-c",
        "zstd",
        "-X",
        "level=3",
        "-j",
        "1",
        "--defaults",
        "uid=0,gid=0,mode=0755,mtime=5",
        "o",
      ],
    ],
    [
      {
        output: "o",
        compression: "xz",
        level: 3,
        processors: 4,
        deterministicTime: 9,
        mkfsTime: 5,
      },
      [
        ...BASE,
        "-c",
        "xz",
        "-X",
        "level=3",
        "-j",
        "4",
        "--defaults",
        "uid=0,gid=0,mode=0755,mtime=9",
        "--no-keep-time",
        "o",
      ],
    ],
  ];
  for (const [opts, want] of cases) assertEquals(tar2sqfsArgs(opts), want);
  assertThrows(
    () => tar2sqfsArgs({ output: "o", compression: "lz4", level: 1, processors: 1 }),
    RangeError,
  );
  assertThrows(() => tar2sqfsArgs({ output: "o", compression: "gzip", processors: 0 }), RangeError);
});

const TAR = buildTar([
  { name: "d", type: "directory", mtime: 1_000_000 },
  { name: "d/f", content: "hello", mtime: 2_000_000 },
  { name: "l", type: "symlink", linkname: "d/f" },
]);

async function listing(image: string): Promise<string> {
  const out = await new Deno.Command("unsquashfs", { args: ["-lln", image], stdout: "piped" })
    .output();
  return new TextDecoder().decode(out.stdout);
}

Deno.test("makeSquashfsFromTar() is byte-identical for the same tar, whatever the jobs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const build = async (name: string, processors: number) => {
      await makeSquashfsFromTar({
        tar: streamOf(TAR),
        output: `${dir}/${name}`,
        compression: "gzip",
        processors,
        mkfsTime: 7,
      });
      return await Deno.readFile(`${dir}/${name}`);
    };
    const a = await build("a", 1);
    const b = await build("b", 2);
    assertEquals(a, b);
    assertStringIncludes(await listing(`${dir}/a`), "1970-01-24 03:33 squashfs-root/d/f");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("makeSquashfsFromTar() deterministic sets every time to SOURCE_DATE_EPOCH", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await makeSquashfsFromTar({
      tar: streamOf(TAR),
      output: `${dir}/a`,
      compression: "gzip",
      processors: 2,
      deterministicTime: 86400,
    });
    const times = [...(await listing(`${dir}/a`)).matchAll(/ (\d{4}-\d\d-\d\d \d\d:\d\d) /g)].map((
      m,
    ) => m[1]);
    assertEquals(times.length, 4);
    assert(times.every((t) => t === "1970-01-02 00:00"), times.join());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("makeSquashfsFromTar() reports tar2sqfs failures and passes stream errors through", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const garbage = new Uint8Array(4096).fill(7);
    const error = await assertRejects(
      () =>
        makeSquashfsFromTar({
          tar: streamOf(garbage),
          output: `${dir}/a`,
          compression: "gzip",
          processors: 1,
        }),
      SregistryError,
    );
    assertStringIncludes(error.message, "Cannot build the image: tar2sqfs failed: ");
    const failing = new ReadableStream<Uint8Array>({
      pull: (c) => c.error(new RangeError("the layer went away")),
    });
    await assertRejects(
      () =>
        makeSquashfsFromTar({
          tar: failing,
          output: `${dir}/b`,
          compression: "gzip",
          processors: 1,
        }),
      RangeError,
      "the layer went away",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("canStream() is true only when tar2sqfs is on PATH", () => {
  assertEquals(canStream((p) => (p === "tar2sqfs" ? "/usr/bin/tar2sqfs" : undefined)), true);
  assertEquals(canStream(() => undefined), false);
});

async function run(cmd: string, args: string[]): Promise<{ code: number; text: string }> {
  const o = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const d = new TextDecoder();
  return { code: o.code, text: d.decode(o.stdout) + d.decode(o.stderr) };
}

const CONFIG = { architecture: "amd64", config: { Cmd: ["/bin/sh"] } };

Deno.test("buildSifFromTar() writes a SIF siftool accepts, holding the flattened tree", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const layer = buildTar([{ name: "etc/os-release", content: "ID=test\n" }]);
    const sif = `${dir}/img.sif`;
    await buildSifFromTar({
      tar: flattenLayers([() => Promise.resolve(streamOf(layer))], METADATA, { isRoot: false }),
      output: sif,
      from: "example:1",
      config: CONFIG,
      arch: "amd64",
    });
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["img.sif"]); // temp squashfs removed
    const list = await run("siftool", ["list", sif]);
    assertEquals(list.code, 0, list.text);
    assertStringIncludes(list.text, "FS (Squashfs/*System/amd64)");
    assertEquals((await run("siftool", ["dump", "1", sif])).text, definitionFile("example:1"));
    assertEquals((await run("siftool", ["dump", "2", sif])).text, ociConfigJson(CONFIG));
    const offset = /Offset:\s+(\d+)/.exec((await run("siftool", ["info", "3", sif])).text)![1];
    const unsq = await run("unsquashfs", ["-o", offset, "-d", `${dir}/tree`, sif]);
    assertEquals(unsq.code, 0, unsq.text);
    assertEquals(await Deno.readTextFile(`${dir}/tree/etc/os-release`), "ID=test\n");
    assertEquals(Deno.readLinkSync(`${dir}/tree/singularity`), ".singularity.d/runscript");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("buildSifFromTar() deterministic gives identical files for identical inputs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const layer = buildTar([{ name: "a", content: "a" }, { name: "b/c", content: "c" }]);
    const build = async (name: string) => {
      await buildSifFromTar({
        tar: flattenLayers([() => Promise.resolve(streamOf(layer))], METADATA, { isRoot: false }),
        output: `${dir}/${name}`,
        from: "example:1",
        config: CONFIG,
        arch: "amd64",
        deterministic: true,
        sourceDateEpoch: 1_700_000_000,
      });
      return await Deno.readFile(`${dir}/${name}`);
    };
    const a = await build("a.sif");
    await new Promise((r) => setTimeout(r, 1100)); // metadata and implicit folders get "now"
    assertEquals(await build("b.sif"), a);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
