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
import { flattenLayers, FlattenRestart, FlattenUnsupported } from "../../src/build/flatten.ts";
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

const SYMLINKED: TarEntry[][] = [
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

Deno.test("flattenLayers() writes through a symlinked parent folder of a lower layer", async () => {
  await inTemp(async (dir) => {
    const r = await compareBothWays(dir, SYMLINKED, true);
    assertEquals(r.diff, []);
    assertEquals(r.flat.get("bin")?.target, "usr/bin");
    assertEquals(r.flat.get("usr/bin/x")?.size, 1);
    assertEquals(r.flat.get("usr/bin/y"), undefined);
    assertEquals(r.flat.get("usr/lib/z/so")?.size, 1);
  });
});

const HARD_LINKED: TarEntry[][] = [
  [{ name: "a", content: "first" }, { name: "b", content: "kept", mode: 0o600 }],
  [{ name: "la", type: "link", linkname: "a" }, { name: "d/lb", type: "link", linkname: "b" }],
  [{ name: "a", content: "replaced" }, { name: ".wh.b" }, {
    name: "lb2",
    type: "link",
    linkname: "d/lb",
  }],
];

Deno.test("flattenLayers() keeps cross-layer hard links, also when the target is replaced above", async () => {
  await inTemp(async (dir) => {
    const r = await compareBothWays(dir, HARD_LINKED, true);
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

Deno.test("flattenLayers() gives the same tree when any one layer is read in a single pass", async () => {
  const cases: [string, TarEntry[][]][] = [
    ["every layer case", [layer1, layer2, layer3]],
    ["a symlinked parent folder", SYMLINKED],
    ["cross-layer hard links", HARD_LINKED],
  ];
  for (const [what, layers] of cases) {
    for (const onePass of layers.keys()) {
      await inTemp(async (dir) => {
        const r = await compareBothWays(dir, layers, false, { onePass });
        // Only the whiteout through a symlink defeats the names-only guess.
        assertEquals(r.restarted, what === "a symlinked parent folder" && onePass === 1, what);
        assertEquals(r.diff, [], `${what}, layer ${onePass} in one pass`);
        assertEquals(r.flatWarnings, r.sandboxWarnings);
      });
    }
  }
});

Deno.test("flattenLayers() gives the same tree when the layers below arrive after the single pass began", async () => {
  const cases: [string, TarEntry[][]][] = [
    ["every layer case", [layer1, layer2, layer3]],
    ["a symlinked parent folder", SYMLINKED],
    ["cross-layer hard links", HARD_LINKED],
  ];
  let straight = 0;
  for (const [what, layers] of cases) {
    for (let onePass = 1; onePass < layers.length; onePass++) {
      await inTemp(async (dir) => {
        const r = await compareBothWays(dir, layers, true, { onePass, lowerDelayMs: 30 });
        assertEquals(r.diff, [], `${what}, layer ${onePass} in one pass`);
        if (!r.restarted) straight++;
      });
    }
  }
  assert(straight >= 3, `only ${straight} builds kept their single-pass guesses`);
});

Deno.test("flattenLayers() reports a bad layer below the single-pass layer as that layer's error", async () => {
  const bad = buildTar([{ name: "f", content: "x".repeat(2000) }]).subarray(0, 900);
  const layers = [
    async () => {
      await new Promise((r) => setTimeout(r, 20));
      return streamOf(bad);
    },
    opener([{ name: "big", content: "b".repeat(50_000) }]),
  ];
  const error = await assertRejects(
    () => drain(flattenLayers(layers, [], { isRoot: true, onePass: 1, labels: ["low", "top"] })),
    LayerFormatError,
  );
  assert(error.message.includes("layer low"), error.message);
});

Deno.test("flattenLayers() restarts when a single-pass guess proves wrong, and the rebuild is right", async () => {
  const wrong: [string, TarEntry[][], number][] = [
    ["a later entry of the same layer", [[{ name: "f", content: "one" }, {
      name: "f",
      content: "two",
    }]], 0],
    ["an upper whiteout through a symlink", SYMLINKED, 1],
  ];
  for (const [what, layers, onePass] of wrong) {
    await assertRejects(
      () => drain(flattenLayers(layers.map(opener), METADATA, { isRoot: true, onePass })),
      FlattenRestart,
    );
    await inTemp(async (dir) => {
      const r = await compareBothWays(dir, layers, true, { onePass });
      assert(r.restarted, `${what}: no restart`);
      assertEquals(r.diff, [], what);
    });
  }
});

Deno.test("flattenLayers() in a single pass writes the layer's files before reading the layers above", async () => {
  const big = buildTar([{ name: "opt/big", content: "b".repeat(100_000) }]);
  let upperOpened = false;
  const layers = [
    () => Promise.resolve(streamOf(big)),
    () => {
      upperOpened = true;
      return Promise.resolve(streamOf(buildTar([{ name: "etc/x", content: "x" }])));
    },
  ];
  const reader = flattenLayers(layers, [], { isRoot: true, onePass: 0 }).getReader();
  const first = await reader.read();
  assert(upperOpened, "the upper layer's names are read first");
  const text = new TextDecoder().decode(first.value!.subarray(0, 100));
  assert(text.startsWith("opt/big"), `the output starts with ${JSON.stringify(text.slice(0, 20))}`);
  await reader.cancel();
});
