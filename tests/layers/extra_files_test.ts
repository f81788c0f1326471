/**
 * The Singularity metadata added through the layer engine: paths resolved
 * inside the root as a chroot would (links planted by the image never lead
 * out of the sandbox folder), a link where a file goes replaced, links the
 * image has kept.
 */
import { assertEquals, assertThrows } from "../_assert.ts";
import { buildTar, type TarEntry } from "../_tar.ts";
import { singularityMetadata } from "../../src/sif/metadata.ts";
import { RootfsWriter } from "../../src/layers/extract.ts";
import { applyExtraFiles } from "../../src/layers/extra_files.ts";
import { resolveInTree } from "../../src/layers/tree_paths.ts";
import { streamOf } from "../_streams.ts";

const META = singularityMetadata({
  config: { Cmd: ["sh"] },
  from: "x:1",
  arch: "amd64",
  created: "2024-01-01T00:00:00Z",
  baseDigest: "sha256:0",
});

async function withLayer(
  layer: (outside: string) => TarEntry[],
  check: (root: string, outside: string, writer: RootfsWriter) => Promise<void> | void,
): Promise<void> {
  const base = await Deno.makeTempDir();
  const root = `${base}/root`;
  const outside = `${base}/outside`;
  await Deno.mkdir(root);
  await Deno.mkdir(outside);
  try {
    const writer = new RootfsWriter(root, { isRoot: Deno.uid() === 0 });
    await writer.applyLayer(streamOf(buildTar(layer(outside))), "layer");
    await check(root, outside, writer);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

function listing(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

Deno.test("resolveInTree() follows links as a chroot would", () =>
  withLayer(() => [
    { name: "etc", type: "symlink", linkname: "/host/etc" },
    { name: "up", type: "symlink", linkname: "../../../x" },
    { name: "real", type: "directory" },
    { name: "rel", type: "symlink", linkname: "real" },
    { name: "loop", type: "symlink", linkname: "loop" },
  ], (_root, _outside, writer) => {
    const tree = writer.engine.root;
    assertEquals(resolveInTree(tree, "/etc/hosts", true).rel, "host/etc/hosts");
    assertEquals(resolveInTree(tree, "/up/y", true).rel, "x/y");
    assertEquals(resolveInTree(tree, "/rel", true).rel, "real");
    assertEquals(resolveInTree(tree, "/rel", false).rel, "rel");
    assertEquals(resolveInTree(tree, "/../../a", true).rel, "a");
    assertThrows(() => resolveInTree(tree, "/loop/a", true), Deno.errors.FilesystemLoop);
  }));

Deno.test("applyExtraFiles() never writes through links planted out of the rootfs", () =>
  withLayer((outside) => [
    { name: "etc", type: "symlink", linkname: outside }, // absolute, to a real host folder
    { name: ".singularity.d", type: "symlink", linkname: "../outside" }, // relative escape
    { name: "tmp", type: "symlink", linkname: `${outside}/victim` }, // loops back through /tmp
    { name: "var", type: "directory" },
  ], async (root, outside, writer) => {
    Deno.writeTextFileSync(`${outside}/hosts`, "host file");
    await applyExtraFiles(writer.engine, META);
    await writer.finish();
    assertEquals(listing(outside), ["hosts"]);
    assertEquals(Deno.readTextFileSync(`${outside}/hosts`), "host file");
    assertEquals(Deno.readTextFileSync(`${root}${outside}/hosts`), "");
    assertEquals(Deno.statSync(`${root}/outside/runscript`).mode! & 0o777, 0o755);
    assertEquals(Deno.readLinkSync(`${root}/singularity`), ".singularity.d/runscript");
    assertEquals(Deno.lstatSync(`${root}/tmp`).isDirectory, true);
  }));

Deno.test("applyExtraFiles() replaces a link where a file goes and keeps existing links", () =>
  withLayer((outside) => [
    { name: "etc", type: "directory" },
    { name: "etc/resolv.conf", type: "symlink", linkname: `${outside}/resolv` },
    { name: "environment", type: "symlink", linkname: "custom" },
    { name: "etc/hosts", content: "127.0.0.1 image", mode: 0o400 },
  ], async (root, outside, writer) => {
    Deno.writeTextFileSync(`${outside}/resolv`, "keep");
    await applyExtraFiles(writer.engine, META);
    await writer.finish();
    assertEquals(Deno.readTextFileSync(`${outside}/resolv`), "keep");
    assertEquals(Deno.lstatSync(`${root}/etc/resolv.conf`).isFile, true);
    assertEquals(Deno.readLinkSync(`${root}/environment`), "custom");
    assertEquals(Deno.readTextFileSync(`${root}/etc/hosts`), "");
    assertEquals(Deno.statSync(`${root}/etc/hosts`).mode! & 0o777, 0o644);
    for (const d of ["dev", "proc", "root", "var/tmp", "tmp", "sys", "home"]) {
      assertEquals(Deno.statSync(`${root}/${d}`).isDirectory, true, d);
    }
  }));
