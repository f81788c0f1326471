/**
 * Layers that exercise every whiteout, opaque, hardlink, long-name and replace
 * case, shared by the extractor's umoci comparison and the end-to-end pull test.
 * @module
 */
import type { LayerSpec } from "./_images.ts";
import type { TarEntry } from "./_tar.ts";

const LONG = "long-directory-name-".repeat(8);
export const LONG_FILE = `${LONG}/${"f".repeat(200)}.txt`;

export const layer1: TarEntry[] = [
  { name: "etc", type: "directory" },
  { name: "etc/passwd", content: "root:x:0:0::/root:/bin/sh\n" },
  { name: "usr", type: "directory" },
  { name: "usr/bin", type: "directory" },
  { name: "usr/bin/busybox", content: "#!busybox", mode: 0o755 },
  { name: "usr/bin/su", content: "su", mode: 0o4755 },
  { name: "usr/bin/wall", content: "wall", mode: 0o2755, gid: 5 },
  { name: "bin", type: "symlink", linkname: "usr/bin" },
  { name: "usr/bin/sh", type: "symlink", linkname: "/usr/bin/busybox" },
  { name: "tmp", type: "directory", mode: 0o1777 },
  { name: "srv", type: "directory", mode: 0o2750, uid: 33, gid: 33 },
  { name: "home", type: "directory" },
  { name: "home/user", type: "directory", uid: 1000, gid: 1000, mode: 0o700 },
  { name: "home/user/file", content: "owned", uid: 1000, gid: 1000, mode: 0o600 },
  { name: "secret", content: "nobody reads me", mode: 0 },
  { name: "ro", type: "directory", mode: 0o555 },
  { name: "ro/inside", content: "in a read-only dir", mode: 0o444 },
  { name: "closed", type: "directory", mode: 0 },
  { name: "closed/inside", content: "in a closed dir" },
  { name: LONG, type: "directory" },
  { name: LONG_FILE, content: "long" },
  { name: "données", type: "directory" },
  { name: "données/été ☀.txt", content: "utf-8" },
  { name: "hl1", type: "link", linkname: "etc/passwd" },
  { name: "rep1", content: "file becomes dir" },
  { name: "rep2", type: "directory" },
  { name: "rep2/child", content: "dir becomes file" },
  { name: "rep3", type: "symlink", linkname: "/etc" },
  { name: "whiteme", content: "to be whited out" },
  { name: "whitedir", type: "directory" },
  { name: "whitedir/a", content: "a" },
  { name: "whitedir/sub/b", content: "b" },
  { name: "opaque", type: "directory" },
  { name: "opaque/a", content: "lower a" },
  { name: "opaque/b", content: "lower b" },
  { name: "opaque/sub/c", content: "lower c" },
  { name: "keep", type: "directory", mode: 0o700, uid: 7 },
  { name: "keep/x", content: "lower x" },
  { name: "var", type: "directory" },
  { name: "var/lib", type: "directory", mode: 0o711 },
  { name: "var/lib/data", content: "data", mtime: 1_500_000_000 },
  { name: "dev", type: "directory" },
  { name: "run", type: "directory", mtime: 1_300_000_000 },
  { name: "dev/null", type: "char", devmajor: 1, devminor: 3, mode: 0o666 },
  { name: "run/initctl", type: "fifo", mode: 0o600 },
];

export const layer2: TarEntry[] = [
  { name: "opaque", type: "directory", mode: 0o750 },
  { name: "opaque/a", content: "upper a, written before the marker" },
  { name: "opaque/.wh..wh..opq" },
  { name: "opaque/d", content: "upper d" },
  { name: ".wh.whiteme" },
  { name: ".wh.whitedir" },
  { name: "rep1", type: "directory" },
  { name: "rep1/child", content: "now a dir" },
  { name: "rep2", content: "now a file" },
  { name: "rep3", type: "directory" },
  { name: "hl2", type: "link", linkname: "usr/bin/busybox" },
  { name: "bin/newtool", content: "through the bin symlink", mode: 0o755 },
  { name: "etc/passwd", content: "root:x:0:0::/root:/bin/ash\n" },
  { name: "keep/y", content: "upper y" },
  { name: ".wh.keep" },
  { name: "usr/bin/.wh.su" },
  { name: "usr/bin/su", content: "new su", mode: 0o4711 },
];

export const layer3: TarEntry[] = [
  { name: ".wh.hl1" },
  { name: "var/lib/.wh..wh..opq" },
  { name: "var/lib/new", content: "new" },
  { name: "whiteme", type: "symlink", linkname: "../../outside" },
];

/** The three layers with gzip, zstd and no compression. */
export const LAYER_CASES: LayerSpec[] = [
  { entries: layer1, compression: "gzip" },
  { entries: layer2, compression: "zstd" },
  { entries: layer3, compression: "none" },
];
