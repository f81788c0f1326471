/**
 * Test helpers for the image backend without a squashfs writer: a content
 * sink that keeps each file's bytes in memory, and a writer of the final
 * image tree into a folder (as root: owners, devices; hard links as links),
 * so the tree can be compared with `snapshotTree` against umoci and the
 * sandbox backend.
 * @module
 */
import { join } from "node:path";
import { lchownSync, lutimesSync } from "node:fs";
import { byteStringToText } from "../../src/byte_string.ts";
import type { DirNode, FileNode } from "../../src/layers/image_tree.ts";
import type { ContentSink, FileSink } from "../../src/layers/target.ts";

/** Keeps every file's content in memory; a file's `FileData` is its index in `contents`. */
export class MemorySink implements ContentSink {
  contents: Uint8Array[] = [];
  get files(): number {
    return this.contents.length;
  }
  beginFile(): FileSink {
    const chunks: Uint8Array[] = [];
    return {
      write: (chunk) => void chunks.push(chunk.slice()),
      end: () => {
        const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
        let at = 0;
        for (const c of chunks) {
          bytes.set(c, at);
          at += c.length;
        }
        return this.contents.push(bytes) - 1;
      },
    };
  }
  drain(): Promise<void> {
    return Promise.resolve();
  }
}

function mknod(path: string, args: string[]): void {
  const out = new Deno.Command("mknod", { args: [path, ...args] }).outputSync();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

/** Writes `root` (content from `sink`) into the empty folder `dir`; needs root. */
export function writeImageTree(root: DirNode, dir: string, sink: MemorySink): void {
  const linked = new Map<FileNode, string>();
  const dirs: [string, DirNode][] = [["", root]];
  const walk = (node: DirNode, rel: string) => {
    for (const [rawName, child] of node.children) {
      const name = rel ? `${rel}/${byteStringToText(rawName)}` : byteStringToText(rawName)!;
      const abs = join(dir, name);
      switch (child.kind) {
        case "dir":
          Deno.mkdirSync(abs);
          dirs.push([name, child]);
          walk(child, name);
          continue;
        case "file": {
          const first = linked.get(child);
          if (first !== undefined) {
            Deno.linkSync(first, abs);
            continue;
          }
          linked.set(child, abs);
          Deno.writeFileSync(
            abs,
            child.data === undefined ? new Uint8Array() : sink.contents[child.data],
          );
          break;
        }
        case "symlink":
          Deno.symlinkSync(byteStringToText(child.target)!, abs);
          lchownSync(abs, child.uid, child.gid);
          lutimesSync(abs, child.mtime, child.mtime);
          continue;
        case "char":
        case "block":
          mknod(abs, [child.kind === "char" ? "c" : "b", `${child.major}`, `${child.minor}`]);
          break;
        case "fifo":
          mknod(abs, ["p"]);
          break;
        case "socket":
          continue;
      }
      Deno.chownSync(abs, child.uid, child.gid);
      Deno.chmodSync(abs, child.mode);
      Deno.utimeSync(abs, child.mtime, child.mtime);
    }
  };
  walk(root, "");
  for (const [rel, node] of dirs.reverse()) {
    const abs = rel ? join(dir, rel) : dir;
    Deno.chownSync(abs, node.uid, node.gid);
    Deno.chmodSync(abs, node.mode);
    Deno.utimeSync(abs, node.mtime, node.mtime);
  }
}
