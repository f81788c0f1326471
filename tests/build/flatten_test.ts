/**
 * flattenLayers() against the folder path: the same layers and metadata,
 * built with RootfsWriter + writeMetadata + mksquashfs and with
 * flattenLayers + tar2sqfs, must unsquash to equal trees (types, modes,
 * owners, sizes, hashes, link targets, hardlink groups, times).
 */
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { buildTar, type TarEntry } from "../_tar.ts";
import { layer1, layer2, layer3, LONG_FILE } from "../_layer_cases.ts";
import { streamOf } from "../layers/_unpack.ts";
import { flattenLayers, FlattenUnsupported } from "../../src/build/flatten.ts";
import { LayerFormatError } from "../../src/layers/extract.ts";
import { compareBothWays, METADATA } from "./_flatten_compare.ts";

async function inTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "sregistry-flatten-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const isRoot of [true, false]) {
  Deno.test(`flattenLayers() gives the folder path's tree for every layer case (isRoot ${isRoot})`, async () => {
    await inTemp(async (dir) => {
      const r = await compareBothWays(dir, [layer1, layer2, layer3], isRoot);
      assertEquals(r.diff, []);
      assertEquals(r.flatWarnings, r.sandboxWarnings);
      const f = r.flat;
      // the cases really happened
      assertEquals(f.get("opaque/b"), undefined);
      assertEquals(f.get("opaque/a")?.size, 34);
      assertEquals(f.get("keep/x"), undefined);
      assertEquals(f.get("keep/y")?.type, "file");
      assertEquals(f.get("whitedir"), undefined);
      assertEquals(f.get("usr/bin/newtool")?.type, "file");
      assertEquals(f.get("hl2")?.inoGroup, "hl2");
      assertEquals(f.get("usr/bin/busybox")?.inoGroup, "hl2");
      assertEquals(f.get("usr/bin/su")?.mode, 0o4711);
      assertEquals(f.get("tmp")?.mode, 0o1777);
      assertEquals(f.get("run")?.mtime, 1_300_000_000);
      assertEquals(f.get(LONG_FILE)?.size, 4);
      assertEquals(f.get(".singularity.d/runscript")?.type, "file");
      assertEquals(f.get("srv")?.uid, isRoot ? 33 : 0);
      assertEquals(f.get("dev/null")?.type, isRoot ? "char" : undefined);
      assertEquals(f.get("closed")?.mode, isRoot ? 0 : 0o700);
    });
  });
}

Deno.test("flattenLayers() writes through a symlinked parent folder of a lower layer", async () => {
  const layers: TarEntry[][] = [
    [
      { name: "usr/bin", type: "directory", mode: 0o755 },
      { name: "bin", type: "symlink", linkname: "usr/bin" },
      { name: "lib", type: "symlink", linkname: "/usr/lib" }, // dangling: created on use
    ],
    [
      { name: "bin/x", content: "x", mode: 0o755 },
      { name: "bin/y", content: "y" },
      { name: "lib/z/so", content: "z" },
    ],
    [{ name: "bin/.wh.y" }, { name: "usr/bin/w", content: "w" }],
  ];
  await inTemp(async (dir) => {
    const r = await compareBothWays(dir, layers, true);
    assertEquals(r.diff, []);
    assertEquals(r.flat.get("bin")?.target, "usr/bin");
    assertEquals(r.flat.get("usr/bin/x")?.size, 1);
    assertEquals(r.flat.get("usr/bin/y"), undefined);
    assertEquals(r.flat.get("usr/lib/z/so")?.size, 1);
  });
});

Deno.test("flattenLayers() keeps cross-layer hard links, also when the target is replaced above", async () => {
  const layers: TarEntry[][] = [
    [{ name: "a", content: "first" }, { name: "b", content: "kept", mode: 0o600 }],
    [{ name: "la", type: "link", linkname: "a" }, { name: "d/lb", type: "link", linkname: "b" }],
    [{ name: "a", content: "replaced" }, { name: ".wh.b" }, {
      name: "lb2",
      type: "link",
      linkname: "d/lb",
    }],
  ];
  await inTemp(async (dir) => {
    const r = await compareBothWays(dir, layers, true);
    assertEquals(r.diff, []);
    assertEquals(r.flat.get("a")?.inoGroup, "a");
    assertEquals(r.flat.get("la")?.size, 5); // still the first content
    assertEquals(r.flat.get("la")?.inoGroup, "la");
    assertEquals(r.flat.get("lb2")?.inoGroup, "d/lb");
    assertEquals(r.flat.get("b"), undefined);
  });
});

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const chunk of stream) n += chunk.length;
  return n;
}

function opener(entries: TarEntry[] | Uint8Array) {
  const bytes = entries instanceof Uint8Array ? entries : buildTar(entries);
  return () => Promise.resolve(streamOf(bytes));
}

Deno.test("flattenLayers() reports bad layers as the extractor does, and images it cannot flatten", async () => {
  // deno-lint-ignore no-explicit-any
  const cases: [string, (TarEntry[] | Uint8Array)[], new (...a: any[]) => Error, string][] = [
    [
      "missing hard link target",
      [[{ name: "l", type: "link", linkname: "nope" }]],
      LayerFormatError,
      "does not exist in the image",
    ],
    [
      "root not a folder",
      [[{ name: "./", content: "x" }]],
      LayerFormatError,
      "the root must be a directory",
    ],
    [
      "truncated",
      [buildTar([{ name: "f", content: "x".repeat(2000) }]).subarray(0, 900)],
      LayerFormatError,
      "truncated",
    ],
    [
      "link replaces its target's folder",
      [
        [{ name: "d/f", content: "x" }],
        [{ name: "d", type: "link", linkname: "d/f" }],
      ],
      FlattenUnsupported,
      "unpack into a folder instead",
    ],
  ];
  for (const [what, layers, type, text] of cases) {
    const error = await assertRejects(
      () => drain(flattenLayers(layers.map(opener), [], { isRoot: true })),
      type,
    );
    assert(error.message.includes(text), `${what}: ${error.message}`);
  }
});

Deno.test("flattenLayers() re-reads only layers whose files survive", async () => {
  let opened = 0;
  const counted = (entries: TarEntry[]) => {
    const open = opener(entries);
    return () => (opened++, open());
  };
  const layers = [
    counted([{ name: "gone", content: "x" }]),
    counted([{ name: ".wh.gone" }, { name: "kept", content: "y" }]),
  ];
  const bytes = await drain(flattenLayers(layers, METADATA, { isRoot: true }));
  assert(bytes > 0);
  assertEquals(opened, 3);
});

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("flattenLayers() reads headers from a layer's download and opens it only for bodies", async () => {
  const tars = [layer1, layer2, layer3].map((l) => buildTar(l));
  const plain = await bytesOf(flattenLayers(tars.map(opener), METADATA, { isRoot: true, now: 1 }));
  let opened = 0;
  const downloading = tars.map((tar) => ({
    open: () => (opened++, Promise.resolve(streamOf(tar))),
    early: Promise.resolve(streamOf(tar)),
    verified: Promise.resolve(),
  }));
  const early = await bytesOf(flattenLayers(downloading, METADATA, { isRoot: true, now: 1 }));
  assertEquals(early, plain);
  assert(opened <= tars.length, `opened ${opened} times for ${tars.length} layers`);
});

Deno.test("flattenLayers() reports a failed download rather than what its partial bytes looked like", async () => {
  const tar = buildTar([{ name: "f", content: "x".repeat(5000) }]);
  const failure = new Error("sha256 digest mismatch");
  const verified = Promise.reject(failure);
  verified.catch(() => {});
  const layers = [{
    open: () => Promise.reject(new Error("not in the cache")),
    early: Promise.resolve(streamOf(tar.subarray(0, 1000))),
    verified,
  }];
  await assertRejects(
    () => drain(flattenLayers(layers, [], { isRoot: true })),
    Error,
    "digest mismatch",
  );
});
