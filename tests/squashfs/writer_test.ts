import { assert, assertEquals } from "../_assert.ts";
import type { DirNode, ImageNode } from "../../src/layers/image_tree.ts";
import { diffListings, listImageTree, readAll, readImage, visibleTo } from "../_readers.ts";
import { bytes, dir, file, sha256Of, writeTree, type WriteTreeOptions } from "../_image_trees.ts";

const BLOCK = 131072;

/** A tree with every node type and the edge cases the format has. */
function everyCase(): DirNode {
  const linked = file(bytes(BLOCK + 7, "text", 3), { mode: 0o640, uid: 1000, gid: 1000 });
  const sizes = [0, 1, 4095, 4096, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK + 5, 3 * BLOCK];
  const edges: Record<string, ImageNode> = {};
  for (const [i, size] of sizes.entries()) {
    edges[`text-${size}`] = file(bytes(size, "text", 10 + i));
    edges[`random-${size}`] = file(bytes(size, "random", 20 + i));
  }
  const big: Record<string, ImageNode> = {};
  for (let i = 0; i < 1500; i++) {
    const name = `entry-${String(i).padStart(5, "0")}-${"x".repeat(i % 40)}`;
    big[name] = i % 3 === 0 ? dir({}, { mtime: i }) : file(`content ${i % 50}\n`, { mtime: i });
  }
  const xattrs = new Map<string, Uint8Array>([
    [
      "security.capability",
      Uint8Array.from([1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    ],
    ["user.comment", new TextEncoder().encode("hello")],
    ["trusted.overlay.x", Uint8Array.from([0xff, 0, 0x80])],
  ]);
  return dir({
    edges: dir(edges),
    big: dir(big, { mode: 0o700, uid: 5, gid: 6 }),
    "setuid": file("#!/bin/sh\n", { mode: 0o4755 }),
    "setgid-dir": dir({ inner: file("x") }, { mode: 0o2775 }),
    "tmp": dir({}, { mode: 0o1777, mtime: 0 }),
    "no-access": file("secret\n", { mode: 0o000, uid: 100000, gid: 4294967294 }),
    "future": file("y2106\n", { mtime: 2 ** 32 - 1 }),
    "cap": file("ping", { xattrs }),
    "xattr-dir": dir({}, { xattrs: new Map([["user.a", new Uint8Array([1, 2, 3])]]) }),
    "link-a": linked,
    "sub": dir({ "link-b": linked, "deeper": dir({ "link-c": linked }) }),
    "dup-1": file(bytes(2 * BLOCK + 100, "random", 99)),
    "dup-2": file(bytes(2 * BLOCK + 100, "random", 99)),
    "small-dup-1": file("same small content\n"),
    "small-dup-2": file("same small content\n"),
    "sparse": file(bytes(5 * BLOCK + 10, "mixed", 5)),
    "zeros": file(new Uint8Array(4 * BLOCK)),
    "symlink": { kind: "symlink", mode: 0o777, uid: 0, gid: 0, mtime: 1, target: "edges/text-1" },
    "long-symlink": {
      kind: "symlink",
      mode: 0o777,
      uid: 0,
      gid: 0,
      mtime: 1,
      target: "a/".repeat(900),
    },
    "bytes-symlink": { kind: "symlink", mode: 0o777, uid: 0, gid: 0, mtime: 1, target: "caf\xe9" },
    "caf\xe9-latin1": file("latin-1 name\n"),
    "r\xc3\xa9sum\xc3\xa9": file("utf-8 name\n"),
    ["n".repeat(255)]: file("longest name\n"),
    "null": { kind: "char", mode: 0o666, uid: 0, gid: 0, mtime: 1, major: 1, minor: 3 },
    "big-minor": {
      kind: "block",
      mode: 0o660,
      uid: 0,
      gid: 6,
      mtime: 1,
      major: 259,
      minor: 1048575,
    },
    "fifo": { kind: "fifo", mode: 0o600, uid: 0, gid: 0, mtime: 1 },
    "socket": { kind: "socket", mode: 0o755, uid: 0, gid: 0, mtime: 1 },
  }, { mtime: 12345 });
}

async function checkAllReaders(image: string, root: DirNode, offset = 0): Promise<void> {
  const expected = listImageTree(root, sha256Of);
  const listings = await readAll(image, { offset });
  for (const [reader, listing] of listings) {
    assertEquals(diffListings(visibleTo(reader, expected), listing, ["tree", reader]), [], reader);
  }
}

/** Writes `root` as an image in a temporary folder and checks it with all readers. */
async function writeAndCheckAll(root: DirNode, options: WriteTreeOptions = {}): Promise<void> {
  const dirPath = await Deno.makeTempDir();
  try {
    const image = `${dirPath}/image.sqfs`;
    await writeTree(image, root, options);
    await checkAllReaders(image, root);
  } finally {
    await Deno.remove(dirPath, { recursive: true });
  }
}

Deno.test("SquashfsWriter every node type and edge case reads back the same with all readers", async () => {
  const dirPath = await Deno.makeTempDir();
  try {
    const root = everyCase();
    const image = `${dirPath}/image.sqfs`;
    const size = await writeTree(image, root, { orphans: [bytes(300_000, "text", 77)] });
    assertEquals(size % 4096, 0);
    assertEquals((await Deno.stat(image)).size, size);
    await checkAllReaders(image, root);
  } finally {
    await Deno.remove(dirPath, { recursive: true });
  }
});

Deno.test("SquashfsWriter zstd images read back the same with all readers", async () => {
  await writeAndCheckAll(everyCase(), { compression: "zstd" });
});

Deno.test("SquashfsWriter output does not depend on the number of Workers", async () => {
  const dirPath = await Deno.makeTempDir();
  try {
    const images = [];
    for (const processors of [1, 2, 3]) {
      const image = `${dirPath}/image-${processors}.sqfs`;
      await writeTree(image, everyCase(), { processors, seed: processors });
      images.push(await Deno.readFile(image));
    }
    assertEquals(images[1], images[0]);
    assertEquals(images[2], images[0]);
  } finally {
    await Deno.remove(dirPath, { recursive: true });
  }
});

Deno.test("SquashfsWriter stores identical contents once and zero blocks as sparse", async () => {
  const dirPath = await Deno.makeTempDir();
  try {
    const random = bytes(8 * BLOCK + 999, "random", 4);
    const one = dir({ a: file(random) });
    const two = dir({ a: file(random), b: file(random.slice()), c: file(random.slice()) });
    const zeros = dir({ a: file(new Uint8Array(64 * BLOCK)) });
    const sizes = [];
    for (const [name, root] of [["one", one], ["two", two], ["zeros", zeros]] as const) {
      const image = `${dirPath}/${name}.sqfs`;
      sizes.push(await writeTree(image, root));
      const listing = await readImage("unsquashfs", image);
      if (!("skipped" in listing)) {
        assertEquals(
          diffListings(visibleTo("unsquashfs", listImageTree(root, sha256Of)), listing),
          [],
        );
      }
    }
    // Random data does not compress: three copies cost what one does.
    assertEquals(sizes[1], sizes[0]);
    assert(sizes[2] <= 8192, `8 MiB of zeros took ${sizes[2]} bytes`); // sparse blocks, no data
  } finally {
    await Deno.remove(dirPath, { recursive: true });
  }
});

Deno.test("SquashfsWriter an empty root and empty folders read back with all readers", async () => {
  for (const root of [dir({}), dir({ a: dir({}), b: dir({ c: dir({}, { mode: 0o700 }) }) })]) {
    await writeAndCheckAll(root);
  }
});

Deno.test("SquashfsWriter 2000 distinct xattr sets (a lookup table over several blocks) read back with all readers", async () => {
  const children: Record<string, ImageNode> = {};
  const encode = (text: string) => new TextEncoder().encode(text);
  for (let i = 0; i < 2000; i++) {
    const xattrs = new Map([
      ["user.id", encode(`value-${i}-${"v".repeat(i % 100)}`)],
      ["security.selinux", encode("system_u:object_r:bin_t:s0")],
    ]);
    children[`f${i}`] = file(`c${i % 7}`, { xattrs });
  }
  await writeAndCheckAll(dir(children));
});

Deno.test("SquashfsWriter over 512 fragment blocks and 2048 owner ids (tables over several blocks) read back with all readers", async () => {
  const children: Record<string, ImageNode> = {};
  for (let i = 0; i < 1100; i++) {
    // 70,000-byte files: one tail per fragment block, 1100 fragment blocks.
    children[`f${i}`] = file(bytes(70_000, "text", i + 1), {
      uid: 1000 + i,
      gid: 200_000 + 3 * i,
    });
  }
  await writeAndCheckAll(dir(children));
});

Deno.test("SquashfsWriter drops contents no inode points at (compaction): smaller, and all readers read the same tree", async () => {
  const dirPath = await Deno.makeTempDir();
  try {
    const dead = () => [
      bytes(2 * BLOCK + 100, "random", 99), // dup-1's content: the live copy deduplicates onto it
      bytes(3 * BLOCK, "random", 501),
      bytes(BLOCK + 77, "random", 502), // a tail in a fragment block shared with live tails
      bytes(5000, "text", 503),
      bytes(6 * BLOCK + 3, "random", 504),
    ];
    const sizes: Record<string, number> = {};
    for (const compaction of ["never", "always"] as const) {
      const root = everyCase();
      const image = `${dirPath}/${compaction}.sqfs`;
      sizes[compaction] = await writeTree(image, root, {
        compaction,
        orphans: [bytes(4 * BLOCK, "random", 500)],
        interleavedOrphans: dead(),
      });
      assertEquals((await Deno.stat(image)).size, sizes[compaction]);
      await checkAllReaders(image, root);
    }
    // Dropped: the random orphans' full blocks (random data is stored as it is), except the
    // one dup-1 still uses. The tails stay in their fragment blocks.
    const droppedAtLeast = (4 + 3 + 1 + 6) * BLOCK;
    assert(
      sizes.never - sizes.always >= droppedAtLeast - 4096,
      `never ${sizes.never}, always ${sizes.always}`,
    );
  } finally {
    await Deno.remove(dirPath, { recursive: true });
  }
});

Deno.test("SquashfsWriter compacts by default only when it drops 1 MiB and 1% of the data", async () => {
  const dirPath = await Deno.makeTempDir();
  try {
    const small = await writeTree(`${dirPath}/small.sqfs`, everyCase(), {
      orphans: [bytes(BLOCK, "random", 600)],
    });
    const never = await writeTree(`${dirPath}/never.sqfs`, everyCase(), {
      orphans: [bytes(BLOCK, "random", 600)],
      compaction: "never",
    });
    assertEquals(small, never); // 128 KiB dropped would not pay for the copy
    const root = everyCase();
    const big = await writeTree(`${dirPath}/big.sqfs`, root, {
      orphans: [bytes(16 * BLOCK, "random", 601)],
    });
    assert(big < never, `${big} >= ${never}`);
    await checkAllReaders(`${dirPath}/big.sqfs`, root);
  } finally {
    await Deno.remove(dirPath, { recursive: true });
  }
});
