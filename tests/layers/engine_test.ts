/**
 * The layer engine with both backends against umoci: every whiteout, opaque,
 * hard link, symlinked-folder and replace case gives umoci's tree in the
 * image backend and the same tree in the sandbox backend; bad layers are
 * refused by both the same way; the bytes an upper layer throws away are
 * counted.
 */
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { buildTar, type TarEntry } from "../_tar.ts";
import { diffTrees } from "../_tree.ts";
import { layer1, layer2, layer3, LONG_FILE } from "../_layer_cases.ts";
import { singularityMetadata } from "../../src/sif/metadata.ts";
import { LayerFormatError } from "../../src/layers/extract.ts";
import { LayerEngine } from "../../src/layers/engine.ts";
import { ContentTarget } from "../../src/layers/target.ts";
import { lookup } from "../../src/layers/tree_paths.ts";
import { streamOf } from "../_streams.ts";
import { MemorySink } from "./_image_tree.ts";
import { diskWay, imageWay, NOW, umociDiff, umociWay } from "./_engine_compare.ts";

const isRoot = Deno.uid() === 0;

async function inTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "sregistry-engine-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The metadata a pull adds. */
export const METADATA = singularityMetadata({
  config: { Env: ["PATH=/usr/bin:/bin", "A=1"], Cmd: ["/bin/sh"] },
  from: "example:1",
  arch: "amd64",
  created: "2024-01-01T00:00:00Z",
  baseDigest: "sha256:0",
});

const CASES = [layer1, layer2, layer3];

Deno.test({
  name: "LayerEngine gives umoci's tree for every layer case, in the image and in the folder",
  ignore: !isRoot,
  fn: () =>
    inTemp(async (dir) => {
      const umoci = await umociWay(`${dir}/umoci`, CASES);
      const image = await imageWay(`${dir}/image`, CASES);
      const disk = await diskWay(`${dir}/disk`, CASES);
      // umoci gives `keep` the time a later layer changed it; we keep its entry's time
      const implicit = (line: string) => line.startsWith("keep: mtime");
      assertEquals(diffTrees(umoci, image.tree).filter((l) => !implicit(l)), []);
      assertEquals(diffTrees(image.tree, disk.tree), []);
      const t = image.tree;
      assertEquals(t.get("opaque/b"), undefined);
      assertEquals(t.get("opaque/a")?.size, 34);
      assertEquals(t.get("keep/x"), undefined);
      assertEquals(t.get("keep/y")?.type, "file");
      assertEquals(t.get("whitedir"), undefined);
      assertEquals(t.get("usr/bin/newtool")?.type, "file");
      assertEquals(t.get("hl2")?.inoGroup, "hl2");
      assertEquals(t.get("usr/bin/busybox")?.inoGroup, "hl2");
      assertEquals(t.get("usr/bin/su")?.mode, 0o4711);
      assertEquals(t.get("srv")?.uid, 33);
      assertEquals(t.get("closed")?.mode, 0);
      assertEquals(t.get("dev/null")?.rdev, (1 << 8) | 3);
      assertEquals(t.get("run/initctl")?.type, "fifo");
      assertEquals(t.get(LONG_FILE)?.size, 4);
    }),
});

Deno.test({
  name: "LayerEngine adds the Singularity metadata the same way in the image and in the folder",
  ignore: !isRoot,
  fn: () =>
    inTemp(async (dir) => {
      const hosts: TarEntry[] = [
        { name: "etc/hosts", content: "127.0.0.1 image", mode: 0o400 },
        { name: "hosts-link", type: "link", linkname: "etc/hosts" },
      ];
      const image = await imageWay(`${dir}/image`, [...CASES, hosts], METADATA);
      const disk = await diskWay(`${dir}/disk`, [...CASES, hosts], METADATA);
      assertEquals(diffTrees(image.tree, disk.tree), []);
      assertEquals(image.tree.get(".singularity.d/runscript")?.mode, 0o755);
      assertEquals(image.tree.get(".singularity.d")?.mtime, NOW);
      assertEquals(image.tree.get("singularity")?.target, ".singularity.d/runscript");
      // a file written over keeps its node: its hard link sees the new content
      const written = image.tree.get("etc/hosts");
      assertEquals([written?.mtime, written?.size, written?.mode], [NOW, 0, 0o644]);
      assertEquals(image.tree.get("hosts-link")?.inoGroup, "etc/hosts");
    }),
});

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

const HARD_LINKED: TarEntry[][] = [
  [{ name: "a", content: "first" }, { name: "b", content: "kept", mode: 0o600 }],
  [{ name: "la", type: "link", linkname: "a" }, { name: "d/lb", type: "link", linkname: "b" }],
  [{ name: "a", content: "replaced" }, { name: ".wh.b" }, {
    name: "lb2",
    type: "link",
    linkname: "d/lb",
  }],
];

Deno.test({
  name: "LayerEngine writes through a symlinked folder and keeps cross-layer hard links",
  ignore: !isRoot,
  fn: async () => {
    for (const [what, layers] of [["symlinked", SYMLINKED], ["hard links", HARD_LINKED]] as const) {
      await inTemp(async (dir) => {
        const umoci = await umociWay(`${dir}/umoci`, layers);
        const image = await imageWay(`${dir}/image`, layers);
        const disk = await diskWay(`${dir}/disk`, layers);
        assertEquals(umociDiff(umoci, image.tree), [], what);
        assertEquals(diffTrees(image.tree, disk.tree), [], what);
      });
    }
    await inTemp(async (dir) => {
      const s = (await imageWay(`${dir}/s`, SYMLINKED)).tree;
      assertEquals(s.get("bin")?.target, "usr/bin");
      assertEquals(s.get("usr/bin/x")?.size, 1);
      assertEquals(s.get("usr/bin/y"), undefined);
      assertEquals(s.get("usr/lib/z/so")?.size, 1);
      const h = (await imageWay(`${dir}/h`, HARD_LINKED)).tree;
      assertEquals(h.get("la")?.size, 5); // still the first content
      assertEquals(h.get("la")?.inoGroup, "la");
      assertEquals(h.get("lb2")?.inoGroup, "d/lb");
      assertEquals(h.get("b"), undefined);
    });
  },
});

Deno.test("LayerEngine refuses bad layers, naming the entry and the layer", async () => {
  const cases: [string, (TarEntry[] | Uint8Array)[], string][] = [
    [
      "missing hard link target",
      [[{ name: "l", type: "link", linkname: "nope" }]],
      "does not exist",
    ],
    ["root not a folder", [[{ name: "./", content: "x" }]], "the root must be a directory"],
    [
      "truncated",
      [buildTar([{ name: "f", content: "x".repeat(2000) }]).subarray(0, 900)],
      "truncated",
    ],
    [
      "a hard link replacing the folder of its target",
      [[{ name: "d/f", content: "x" }], [{ name: "d", type: "link", linkname: "d/f" }]],
      "replaces the folder holding its target",
    ],
    ["a file below a file", [[{ name: "f", content: "x" }, { name: "f/g", content: "y" }]], "f/g"],
  ];
  for (const [what, layers, text] of cases) {
    const engine = new LayerEngine([new ContentTarget(new MemorySink())]);
    const error = await assertRejects(async () => {
      for (const [i, l] of layers.entries()) {
        await engine.applyLayer(streamOf(l instanceof Uint8Array ? l : buildTar(l)), `l${i}`);
      }
    }, LayerFormatError);
    assert(error.message.includes(text), `${what}: ${error.message}`);
  }
});

Deno.test("LayerEngine counts the bytes of files that upper layers remove or replace", async () => {
  const target = new ContentTarget(new MemorySink());
  const engine = new LayerEngine([target]);
  const layers: TarEntry[][] = [
    [
      { name: "gone", content: "x".repeat(1000) },
      { name: "replaced", content: "y".repeat(300) },
      { name: "linked", content: "z".repeat(50) },
      { name: "d/inside", content: "w".repeat(7) },
    ],
    [
      { name: ".wh.gone" },
      { name: "replaced", content: "new" },
      { name: "other", type: "link", linkname: "linked" },
      { name: ".wh.linked" }, // the content lives on under "other"
      { name: "d", type: "symlink", linkname: "/" },
    ],
  ];
  for (const [i, l] of layers.entries()) await engine.applyLayer(streamOf(buildTar(l)), `l${i}`);
  await engine.finish();
  assertEquals(target.storedBytes, 1000 + 300 + 50 + 7 + 3);
  assertEquals(target.wastedBytes, 1000 + 300 + 7);
  assertEquals(lookup(engine.root, "other")?.kind, "file");
});

Deno.test("LayerEngine keeps PAX xattrs, owners, devices and setuid bits in the image whoever runs it", async () => {
  const engine = new LayerEngine([new ContentTarget(new MemorySink())]);
  const layer = buildTar([
    { name: "caps", content: "x", mode: 0o4755, uid: 12, pax: { "SCHILY.xattr.user.k": "v1" } },
    { name: "dev/sda", type: "block", devmajor: 8, devminor: 1, uid: 3 },
    { name: "fifo", type: "fifo", mode: 0o600 },
  ]);
  await engine.applyLayer(streamOf(layer), "l0");
  const caps = lookup(engine.root, "caps");
  assertEquals(caps?.mode, 0o4755);
  assertEquals(caps?.uid, 12);
  assertEquals([...(caps?.xattrs ?? [])], [["user.k", new TextEncoder().encode("v1")]]);
  const sda = lookup(engine.root, "dev/sda");
  assertEquals(sda?.kind === "block" && [sda.major, sda.minor, sda.uid], [8, 1, 3]);
  assertEquals(lookup(engine.root, "fifo")?.kind, "fifo");
});
