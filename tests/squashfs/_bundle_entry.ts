/**
 * Entry of the bundle test: writes a small squashfs to `Deno.args[0]` with
 * the writer's Workers, from a single bundled file (no separate worker module).
 * @module
 */

import { SquashfsWriter } from "../../src/squashfs/mod.ts";
import type { DirNode, FileNode } from "../../src/layers/image_tree.ts";

if (import.meta.main) {
  using out = await Deno.open(Deno.args[0], {
    read: true,
    write: true,
    create: true,
    truncate: true,
  });
  const writer = new SquashfsWriter(out, 0, { compression: "gzip", processors: 2, mkfsTime: 0 });
  const root: DirNode = { kind: "dir", mode: 0o755, uid: 0, gid: 0, mtime: 0, children: new Map() };
  const content = new TextEncoder().encode("bundled squashfs writer\n".repeat(20000));
  const sink = writer.beginFile();
  sink.write(content);
  const node: FileNode = {
    kind: "file",
    mode: 0o644,
    uid: 0,
    gid: 0,
    mtime: 0,
    size: content.length,
  };
  node.data = sink.end();
  root.children.set("file.txt", node);
  await writer.finish(root);
}
