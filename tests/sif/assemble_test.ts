import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { writeSif } from "../../src/sif/writer.ts";
import { SifAssembly, type SifAssemblyOptions, sifObjects } from "../../src/sif/mod.ts";
import type { DirNode } from "../../src/layers/image_tree.ts";
import { SquashfsLimitError } from "../../src/squashfs/mod.ts";
import { SregistryError } from "../../src/errors.ts";
import { diffListings, listImageTree, readAll, visibleTo } from "../_readers.ts";
import { bytes, CONTENT, dir, file, fileNodes, sha256Of } from "../_image_trees.ts";

function tree(): DirNode {
  return dir({
    bin: dir({ sh: file(bytes(200_000, "text", 1), { mode: 0o755 }) }),
    etc: dir({ passwd: file("root:x:0:0::/root:/bin/sh\n") }),
    data: file(bytes(300_000, "random", 2)),
  });
}

function options(output: string): SifAssemblyOptions {
  return {
    output,
    from: "docker://example/image:1",
    config: { architecture: "amd64", config: { Env: ["PATH=/bin"] } },
    arch: "amd64",
    deterministic: true,
    sourceDateEpoch: 1_700_000_000,
    squashfs: { compression: "gzip", processors: 2 },
  };
}

async function build(output: string, root: DirNode): Promise<number> {
  const sif = await SifAssembly.create(options(output));
  try {
    for (const node of fileNodes(root)) {
      const sink = sif.squashfs.beginFile();
      sink.write(CONTENT.get(node)!);
      node.data = sink.end();
      await sif.squashfs.drain();
    }
  } catch (error) {
    await sif.abort();
    throw error;
  }
  return await sif.commit(root);
}

async function siftool(...args: string[]): Promise<string> {
  const out = await new Deno.Command("siftool", { args, stdout: "piped", stderr: "piped" })
    .output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

Deno.test("SifAssembly writes a SIF siftool lists, whose partition all readers read as the tree", async () => {
  const dirPath = await Deno.makeTempDir();
  try {
    const output = `${dirPath}/image.sif`;
    const root = tree();
    const size = await build(output, root);
    assertEquals((await Deno.stat(output)).size, size);
    assertEquals([...Deno.readDirSync(dirPath)].map((e) => e.name), ["image.sif"]);
    const list = await siftool("list", output);
    assert(/Def\.FILE/.test(list) && /JSON\.Generic/.test(list), list);
    assert(/FS \(Squashfs\/\*System\/amd64\)/.test(list), list);
    const offset = Number((await siftool("info", "3", output)).match(/Offset:\s+(\d+)/)![1]);
    const expected = listImageTree(root, sha256Of);
    for (const [reader, listing] of await readAll(output, { offset })) {
      assertEquals(
        diffListings(visibleTo(reader, expected), listing, ["tree", reader]),
        [],
        reader,
      );
    }
  } finally {
    await Deno.remove(dirPath, { recursive: true });
  }
});

Deno.test("SifAssembly gives the same bytes as the existing SIF writer around the same squashfs, every time", async () => {
  const dirPath = await Deno.makeTempDir();
  try {
    const first = `${dirPath}/first.sif`;
    const second = `${dirPath}/second.sif`;
    await build(first, tree());
    await build(second, tree());
    const bytesFirst = await Deno.readFile(first);
    assertEquals(await Deno.readFile(second), bytesFirst);
    // The existing writer (what buildNative uses) around the partition's bytes.
    const offset = Number((await siftool("info", "3", first)).match(/Offset:\s+(\d+)/)![1]);
    const squashfs = `${dirPath}/part.sqfs`;
    await Deno.writeFile(squashfs, bytesFirst.subarray(offset));
    const size = bytesFirst.length - offset;
    const objects = sifObjects(options(first), size).map(({ bytes, ...object }) => ({
      ...object,
      source: bytes ?? { file: squashfs },
    }));
    const reference = `${dirPath}/reference.sif`;
    await writeSif(reference, objects, { deterministic: true });
    assertEquals(await Deno.readFile(reference), bytesFirst);
  } finally {
    await Deno.remove(dirPath, { recursive: true });
  }
});

Deno.test("SifAssembly on failure leaves no file; it never opens an existing file", async () => {
  const dirPath = await Deno.makeTempDir();
  try {
    const output = `${dirPath}/.image.sif.partial`;
    const root = tree();
    root.children.set("x".repeat(300), file("too long a name"));
    await assertRejects(() => build(output, root), SquashfsLimitError, "squashfs holds 1 to 256");
    assertEquals([...Deno.readDirSync(dirPath)], [], "the failed build's file was removed");

    const sif = await SifAssembly.create(options(output));
    sif.squashfs.beginFile().write(new Uint8Array(10));
    await sif.abort();
    assertEquals([...Deno.readDirSync(dirPath)], [], "the aborted build's file was removed");

    // The file is written in place, so an existing one is refused, never truncated.
    const existing = `${dirPath}/image.sif`;
    await Deno.writeTextFile(existing, "previous image");
    await assertRejects(
      () => SifAssembly.create(options(existing)),
      SregistryError,
      "a file is already there",
    );
    assertEquals(await Deno.readTextFile(existing), "previous image");
    assertEquals([...Deno.readDirSync(dirPath)].map((e) => e.name), ["image.sif"]);
  } finally {
    await Deno.remove(dirPath, { recursive: true });
  }
});

Deno.test("SifAssembly.create() says which folder cannot take the image", async () => {
  const dirPath = await Deno.makeTempDir();
  try {
    await assertRejects(
      () => SifAssembly.create(options(`${dirPath}/missing/image.sif`)),
      SregistryError,
      `cannot create a file in ${dirPath}/missing`,
    );
  } finally {
    await Deno.remove(dirPath, { recursive: true });
  }
});
