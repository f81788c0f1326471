/**
 * GNU sparse files (as GNU tar writes them, `--format=posix` and
 * `--format=gnu`) pulled from the real registry: the `--sandbox` folder gets
 * them with their holes unallocated (as GNU tar extracts them), the SIF with
 * the same content read back by every reader; the image backend is given
 * holes, not zeros (the bytes it is handed are the data regions only).
 */
import { assert, assertEquals } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { imageOfTars, sha256 } from "../_images.ts";
import { pushImage, startRegistry } from "../_registry.ts";
import { readAll } from "../_readers.ts";
import { runTool } from "../_tools.ts";
import { streamOf } from "../_streams.ts";
import { partitionOffset } from "./_sif_image.ts";
import { LayerEngine } from "../../src/layers/engine.ts";
import { ContentTarget } from "../../src/layers/target.ts";
import { SquashfsWriter } from "../../src/squashfs/writer.ts";

const MiB = 1024 * 1024;

/** Sparse files: name, apparent size, and data written at offsets. */
const FILES: { name: string; size: number; data: [number, string][] }[] = [
  // ends in data; a region inside a 128 KiB block, one across a block boundary
  {
    name: "big.img",
    size: 64 * MiB,
    data: [[0, "head"], [40 * MiB + 3, "x".repeat(5000)], [
      64 * MiB - 4,
      "tail",
    ], [131072 - 2, "across"]],
  },
  // ends in a hole
  { name: "hole-end.img", size: 3 * MiB + 5, data: [[MiB + 1, "middle"]] },
  // a small file (written by the sandbox's worker threads)
  { name: "small.img", size: 200 * 1024, data: [[10_000, "small"]] },
  // holes only
  { name: "empty.img", size: 5 * MiB, data: [] },
];

/** Writes FILES under `dir/<sub>`; returns path to `size sha256` of each. */
async function makeFiles(dir: string, sub: string): Promise<Map<string, string>> {
  Deno.mkdirSync(`${dir}/${sub}`, { recursive: true });
  const want = new Map<string, string>();
  for (const f of FILES) {
    const path = `${dir}/${sub}/${f.name}`;
    await runTool("truncate", ["-s", String(f.size), path]);
    using file = Deno.openSync(path, { write: true });
    for (const [at, text] of f.data) {
      file.seekSync(at, Deno.SeekMode.Start);
      file.writeSync(new TextEncoder().encode(text));
    }
    want.set(`${sub}/${f.name}`, `${f.size} ${sha256(Deno.readFileSync(path))}`);
  }
  return want;
}

Deno.test("sparse files pulled from a registry keep their holes in the sandbox and their content in the SIF", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const src = `${home.home}/src`;
  const want = new Map([...await makeFiles(src, "posix"), ...await makeFiles(src, "gnu")]);
  const tar = (format: string, sub: string) =>
    runTool("tar", [`--format=${format}`, "--sparse", "-cf", "-", "-C", src, sub]);
  const tars = [await tar("posix", "posix"), await tar("gnu", "gnu")];
  assert(tars.every((t) => t.length < MiB), "GNU tar stored the files sparse");
  await pushImage(reg, "test/sparse", "v1", await imageOfTars(tars));
  const ref = `${reg.host}/test/sparse:v1`;

  const sandbox = `${home.home}/sb`;
  const pulled = await home.run(["pull", "--sandbox", sandbox, ref]);
  assertEquals(pulled.code, 0, pulled.stderr);
  for (const [path, digest] of want) {
    const bytes = Deno.readFileSync(`${sandbox}/${path}`);
    assertEquals(`${bytes.length} ${sha256(bytes)}`, digest, path);
    // Allocated: the data regions' pages only (GNU tar's extraction), not the apparent size.
    const allocated = Deno.statSync(`${sandbox}/${path}`).blocks! * 512;
    assert(allocated <= 64 * 1024, `${path}: ${allocated} bytes allocated`);
  }

  const sif = `${home.home}/sparse.sif`;
  const built = await home.run(["pull", "--name", sif, ref]);
  assertEquals(built.code, 0, built.stderr);
  assert(Deno.statSync(sif).size < 2 * MiB, `the SIF is ${Deno.statSync(sif).size} bytes`);
  const readers = await readAll(sif, { offset: await partitionOffset(sif) });
  assert(readers.size >= 2, `only ${[...readers.keys()]} could read the SIF`);
  for (const [reader, listing] of readers) {
    for (const [path, digest] of want) {
      const node = listing.find((n) => n.path === path);
      assertEquals(`${node?.size} sha256:${node?.sha256}`, digest, `${reader}: ${path}`);
    }
  }
});

Deno.test("the image backend is given a sparse file's holes, not gigabytes of zeros", async () => {
  await using home = await cliHome();
  const dir = `${home.home}/src`;
  Deno.mkdirSync(dir);
  // 2 GiB apparent, 10 bytes of data in the middle and at the end.
  await runTool("truncate", ["-s", String(2 * 1024 * MiB), `${dir}/huge.img`]);
  using file = Deno.openSync(`${dir}/huge.img`, { write: true });
  for (const at of [1024 * MiB + 7, 2 * 1024 * MiB - 5]) {
    file.seekSync(at, Deno.SeekMode.Start);
    file.writeSync(new TextEncoder().encode("data!"));
  }
  const tar = await runTool("tar", ["--format=posix", "--sparse", "-cf", "-", "-C", dir, "."]);
  using out = await Deno.open(`${home.home}/image.sqfs`, { write: true, create: true });
  const writer = new SquashfsWriter(out, 0, { compression: "gzip", processors: 1 });
  let written = 0; // the bytes handed to the real writer's `write`
  const counted = {
    beginFile: () => {
      const sink = writer.beginFile();
      return {
        write: (chunk: Uint8Array) => {
          written += chunk.length;
          sink.write(chunk);
        },
        zeros: (n: number) => sink.zeros(n),
        end: () => sink.end(),
      };
    },
    drain: () => writer.drain(),
  };
  const engine = new LayerEngine([new ContentTarget(counted)], { now: 0 });
  await engine.applyLayer(streamOf(tar), "layer0");
  await engine.finish();
  await writer.finish(engine.root);
  // The two regions' partial blocks at most (128 KiB each), not 2 GiB.
  assert(written <= 2 * 128 * 1024, `${written} bytes were handed to the writer`);
  const listing = await runTool("unsquashfs", ["-lls", `${home.home}/image.sqfs`]);
  assert(new TextDecoder().decode(listing).includes(`${2 * 1024 * MiB}`), "apparent size kept");
});
