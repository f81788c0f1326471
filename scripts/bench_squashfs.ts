// deno-lint-ignore-file no-console
/**
 * Measures the native squashfs writer on a folder: wall time and image size
 * for each Worker count, against `tar2sqfs` (same content as a tar on stdin)
 * and `mksquashfs` when installed. Usage:
 *
 *   deno run -A scripts/bench_squashfs.ts FOLDER [--workers 1,2] [--level 6] [--zstd]
 *
 * Reading the folder is part of every tool's time (tar2sqfs reads a tar made
 * beforehand, which is in the page cache like the folder).
 * @module
 */

import { join } from "node:path";
import type { DirNode, ImageNode } from "../src/layers/image_tree.ts";
import { SquashfsWriter } from "../src/squashfs/mod.ts";

async function scan(path: string): Promise<DirNode> {
  const info = await Deno.lstat(path);
  const root: DirNode = { kind: "dir", ...attrs(info), children: new Map() };
  for await (const entry of Deno.readDir(path)) {
    const child = join(path, entry.name);
    const stat = await Deno.lstat(child);
    let node: ImageNode;
    if (stat.isDirectory) node = await scan(child);
    else if (stat.isSymlink) {
      node = { kind: "symlink", ...attrs(stat), target: await Deno.readLink(child) };
    } else node = { kind: "file", ...attrs(stat), size: stat.size };
    (node as { path?: string }).path = child;
    root.children.set(entry.name, node);
  }
  return root;
}

function attrs(info: Deno.FileInfo) {
  return {
    mode: (info.mode ?? 0o644) & 0o7777,
    uid: info.uid ?? 0,
    gid: info.gid ?? 0,
    mtime: Math.floor((info.mtime?.getTime() ?? 0) / 1000),
  };
}

async function writeNative(
  root: DirNode,
  output: string,
  workers: number,
  level: number,
  zstd: boolean,
) {
  using out = await Deno.open(output, { read: true, write: true, create: true, truncate: true });
  const writer = new SquashfsWriter(out, 0, {
    compression: zstd ? "zstd" : "gzip",
    level,
    processors: workers,
    mkfsTime: 0,
  });
  const buffer = new Uint8Array(1 << 20);
  const visit = async (dir: DirNode) => {
    for (const node of dir.children.values()) {
      if (node.kind === "dir") await visit(node);
      if (node.kind !== "file" || node.size === 0) continue;
      using input = await Deno.open((node as { path?: string }).path!);
      const sink = writer.beginFile();
      for (let n = await input.read(buffer); n !== null; n = await input.read(buffer)) {
        sink.write(buffer.subarray(0, n));
        await writer.drain();
      }
      node.data = sink.end();
    }
  };
  await visit(root);
  return await writer.finish(root);
}

async function time<T>(what: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const result = await what();
  return [(performance.now() - start) / 1000, result];
}

async function tool(cmd: string, args: string[], stdin?: string): Promise<void> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdin ? "piped" : "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  if (stdin) await (await Deno.open(stdin)).readable.pipeTo(child.stdin);
  const status = await child.output();
  if (status.code !== 0) {
    throw new Error(`${cmd} failed: ${new TextDecoder().decode(status.stderr)}`);
  }
}

if (import.meta.main) {
  const folder = Deno.args[0];
  const option = (name: string, fallback: string) => {
    const at = Deno.args.indexOf(name);
    return at >= 0 ? Deno.args[at + 1] : fallback;
  };
  const workers = option("--workers", "1,2").split(",").map(Number);
  const level = Number(option("--level", "6"));
  const zstd = Deno.args.includes("--zstd");
  const out = await Deno.makeTempDir();
  try {
    const tar = join(out, "src.tar");
    await tool("tar", ["-C", folder, "-cf", tar, "."]);
    const bytes = (await Deno.stat(tar)).size;
    const rate = (seconds: number) => `${(bytes / 1e6 / seconds).toFixed(1)} MB/s`;
    console.log(
      `input: ${(bytes / 1e6).toFixed(1)} MB (tar), ${zstd ? "zstd" : "gzip"} level ${level}`,
    );
    for (const n of workers) {
      const root = await scan(folder);
      const [s, size] = await time(() =>
        writeNative(root, join(out, `native-${n}.sqfs`), n, level, zstd)
      );
      console.log(`native, ${n} worker(s): ${s.toFixed(2)} s, ${rate(s)}, ${size} bytes`);
    }
    const comp = zstd ? "zstd" : "gzip";
    for (const n of workers) {
      for (const extra of [[], ["-X", `level=${level}`]]) {
        const image = join(out, "tar2sqfs.sqfs");
        const [s] = await time(() =>
          tool("tar2sqfs", ["-q", "-f", "-c", comp, ...extra, "-j", String(n), image], tar)
        );
        const label = extra.length ? `level ${level}` : "default level";
        console.log(
          `tar2sqfs -j ${n}, ${label}: ${s.toFixed(2)} s, ${rate(s)}, ${
            (await Deno.stat(image)).size
          } bytes`,
        );
      }
    }
    const image = join(out, "mksquashfs.sqfs");
    const [s] = await time(() =>
      tool("mksquashfs", [folder, image, "-noappend", "-comp", comp, "-quiet", "-no-progress"])
    );
    console.log(
      `mksquashfs -comp ${comp} (default level): ${s.toFixed(2)} s, ${
        (await Deno.stat(image)).size
      } bytes`,
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}
