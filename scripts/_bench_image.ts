/**
 * The benchmark image, built in code: a busybox base, about 12,000 small
 * text files in 200 folders, a 48 MB random file plus an 85 MB text log, and
 * a small layer with whiteouts (issue 7). Deterministic, so runs compare.
 * @module
 */
import type { LayerSpec } from "../tests/_images.ts";
import type { TarEntry } from "../tests/_tar.ts";

function busyboxLayer(): TarEntry[] {
  const busybox = Deno.readFileSync("/bin/busybox");
  const entries: TarEntry[] = [
    { name: "bin", type: "directory" },
    { name: "bin/busybox", content: busybox, mode: 0o755 },
    { name: "etc", type: "directory" },
    { name: "etc/passwd", content: "root:x:0:0:root:/root:/bin/sh\n" },
    { name: "tmp", type: "directory", mode: 0o1777 },
  ];
  for (const tool of ["sh", "ls", "cat", "echo", "env", "cp", "mv", "rm", "mkdir", "sed", "grep"]) {
    entries.push({ name: `bin/${tool}`, type: "symlink", linkname: "/bin/busybox" });
  }
  return entries;
}

/** Deterministic pseudo-random bytes (xorshift), so runs are comparable. */
function randomBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  const view = new Uint32Array(out.buffer, 0, Math.floor(size / 4));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < view.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    view[i] = x >>> 0;
  }
  return out;
}

function textLog(size: number): Uint8Array {
  const lines: string[] = [];
  let length = 0;
  for (let i = 0; length < size; i++) {
    const line = `2024-01-01T00:${String(i % 60).padStart(2, "0")}:00Z INFO worker-${
      i % 16
    } processed job ${i} in ${(i * 7919) % 1000} ms status=ok\n`;
    lines.push(line);
    length += line.length;
  }
  return new TextEncoder().encode(lines.join("")).slice(0, size);
}

/** The benchmark image's layers; `small` for the CI check that the benchmark works. */
export function benchLayers(small: boolean): LayerSpec[] {
  const files = small ? 200 : 12_000;
  const folders = small ? 10 : 200;
  const many: TarEntry[] = [{ name: "data", type: "directory" }];
  for (let d = 0; d < folders; d++) many.push({ name: `data/d${d}`, type: "directory" });
  for (let i = 0; i < files; i++) {
    many.push({
      name: `data/d${i % folders}/file${i}.txt`,
      content: `file ${i}\n`.repeat(20 + (i % 50)),
    });
  }
  const big: TarEntry[] = [
    { name: "opt", type: "directory" },
    { name: "opt/random.bin", content: randomBytes(small ? 1 << 20 : 48 << 20, 42) },
    { name: "opt/app.log", content: textLog(small ? 2 << 20 : 85 << 20) },
  ];
  const whiteouts: TarEntry[] = [
    { name: "data/d0/.wh.file0.txt" },
    { name: "data/d1/.wh..wh..opq" },
    { name: "data/d1/new.txt", content: "replaced\n" },
  ];
  return [
    { entries: busyboxLayer() },
    { entries: many },
    { entries: big },
    { entries: whiteouts },
  ];
}
