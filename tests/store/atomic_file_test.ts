import { hostname } from "node:os";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { writeFileAtomic } from "../../src/store/atomic_file.ts";
import { parsePartialName, partialPath } from "../../src/store/temp_names.ts";

/** A temporary folder removed at the end of the scope. */
function tempDir(): { path: string } & Disposable {
  const path = Deno.makeTempDirSync({ prefix: "sregistry-atomic-" });
  return { path, [Symbol.dispose]: () => Deno.removeSync(path, { recursive: true }) };
}

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();
const mode = (path: string) => Deno.statSync(path).mode! & 0o777;

Deno.test("writeFileAtomic() gives the file exactly the mode asked, whatever the umask", () => {
  const cases: { mode?: number; data: string | Uint8Array; want: number }[] = [
    { mode: 0o600, data: "secret\n", want: 0o600 },
    { mode: 0o644, data: new Uint8Array([0, 1, 2, 255]), want: 0o644 },
    { data: "default", want: 0o644 },
  ];
  using dir = tempDir();
  const umask = Deno.umask(0o077); // would narrow 0644 to 0600 without the chmod
  try {
    for (const [i, c] of cases.entries()) {
      const path = `${dir.path}/file${i}`;
      writeFileAtomic(path, c.data, c.mode === undefined ? {} : { mode: c.mode });
      assertEquals(mode(path), c.want, `case ${i}`);
      const bytes = typeof c.data === "string" ? new TextEncoder().encode(c.data) : c.data;
      assertEquals(Deno.readFileSync(path), bytes, `case ${i}`);
    }
  } finally {
    Deno.umask(umask);
  }
  assertEquals(names(dir.path), ["file0", "file1", "file2"]);
});

Deno.test("writeFileAtomic() replaces a file (and narrows its mode), leaving no temporary file", () => {
  using dir = tempDir();
  const path = `${dir.path}/config.json`;
  Deno.writeTextFileSync(path, "old, longer content", { mode: 0o666 });
  Deno.chmodSync(path, 0o666);
  writeFileAtomic(path, "new", { mode: 0o600, fsync: true });
  assertEquals(Deno.readTextFileSync(path), "new");
  assertEquals(mode(path), 0o600);
  assertEquals(names(dir.path), ["config.json"]);
});

Deno.test("writeFileAtomic() keeps a symbolic link and rewrites the file it points to", () => {
  using dir = tempDir();
  Deno.mkdirSync(`${dir.path}/dotfiles`);
  Deno.writeTextFileSync(`${dir.path}/dotfiles/sregistry`, "old");
  Deno.symlinkSync("dotfiles/sregistry", `${dir.path}/.sregistry`);
  writeFileAtomic(`${dir.path}/.sregistry`, "new", { mode: 0o600 });
  assert(Deno.lstatSync(`${dir.path}/.sregistry`).isSymlink, "still a link");
  assertEquals(Deno.readTextFileSync(`${dir.path}/dotfiles/sregistry`), "new");
  assertEquals(names(`${dir.path}/dotfiles`), ["sregistry"]);
});

Deno.test("writeFileAtomic() creates a missing folder only when given dirMode", () => {
  using dir = tempDir();
  assertThrows(
    () => writeFileAtomic(`${dir.path}/a/file`, "x"),
    Deno.errors.NotFound,
  );
  assertEquals(names(dir.path), []);
  writeFileAtomic(`${dir.path}/a/b/file`, "x", { dirMode: 0o700 });
  assertEquals(mode(`${dir.path}/a/b`), 0o700);
  assertEquals(Deno.readTextFileSync(`${dir.path}/a/b/file`), "x");
});

Deno.test("writeFileAtomic() fails without side effects when the parent is a file", () => {
  using dir = tempDir();
  Deno.writeTextFileSync(`${dir.path}/plain`, "keep");
  assertThrows(() => writeFileAtomic(`${dir.path}/plain/file`, "x", { dirMode: 0o700 }));
  assertThrows(() => writeFileAtomic(`${dir.path}/plain/file`, "x"));
  assertEquals(Deno.readTextFileSync(`${dir.path}/plain`), "keep");
  assertEquals(names(dir.path), ["plain"]);
});

Deno.test("writeFileAtomic() removes its temporary file when the rename fails", () => {
  using dir = tempDir();
  Deno.mkdirSync(`${dir.path}/target/inside`, { recursive: true });
  assertThrows(() => writeFileAtomic(`${dir.path}/target`, "x"));
  assertEquals(names(dir.path), ["target"]);
  assertEquals(names(`${dir.path}/target`), ["inside"]);
});

Deno.test("writeFileAtomic() replaces a leftover temporary file of a dead process with our pid", () => {
  using dir = tempDir();
  const path = `${dir.path}/index.json`;
  // The next name partialPath() hands out is the one after this probe.
  const probe = partialPath(path);
  const next = probe.replace(/\.(\d+)\.partial$/, (_, n) => `.${Number(n) + 1}.partial`);
  Deno.writeTextFileSync(next, "left by a process that had our pid");
  writeFileAtomic(path, "{}");
  assertEquals(Deno.readTextFileSync(path), "{}");
  assertEquals(names(dir.path), ["index.json"]);
});

Deno.test("partialPath() names the host and pid the blob cache's sweep reads back", () => {
  const a = partialPath("/c/blobs/sha256/ab");
  const b = partialPath("/c/blobs/sha256/ab");
  assert(a !== b, "each call gives a fresh name");
  const m = /^\/c\/blobs\/sha256\/\.ab\.(\d+)@(.+)\.\d+\.partial$/.exec(a);
  assertEquals(m?.slice(1), [String(Deno.pid), hostname()]);
  const name = a.slice(a.lastIndexOf("/") + 1);
  assertEquals(parsePartialName(name), { target: "ab", pid: Deno.pid, host: hostname() });
});

function canMount(): boolean {
  if (Deno.uid() !== 0) return false;
  return mountTmpfs(Deno.makeTempDirSync(), "64k", true);
}

function mountTmpfs(dir: string, size: string, probe = false): boolean {
  const ok =
    new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir] })
      .outputSync().success;
  if (probe) {
    if (ok) new Deno.Command("umount", { args: [dir] }).outputSync();
    Deno.removeSync(dir);
  }
  return ok;
}

function remount(dir: string, options: string): void {
  const out = new Deno.Command("mount", { args: ["-o", `remount,${options}`, dir] }).outputSync();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

/** A small tmpfs holding `file` ("old"), unmounted and removed on dispose. */
function smallDisk(): { dir: string; file: string } & Disposable {
  const dir = Deno.makeTempDirSync({ prefix: "sregistry-atomic-disk-" });
  if (!mountTmpfs(dir, "256k")) throw new Error(`cannot mount a tmpfs at ${dir}`);
  const file = `${dir}/config.json`;
  Deno.writeTextFileSync(file, "old");
  return {
    dir,
    file,
    [Symbol.dispose]: () => {
      new Deno.Command("umount", { args: [dir] }).outputSync();
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

const ignore = !canMount();

Deno.test({
  name: "writeFileAtomic() leaves the original untouched in a read-only folder",
  ignore,
  fn() {
    using disk = smallDisk();
    remount(disk.dir, "ro");
    try {
      assertThrows(() => writeFileAtomic(disk.file, "new", { mode: 0o600, fsync: true }));
      assertEquals(Deno.readTextFileSync(disk.file), "old");
      assertEquals(names(disk.dir), ["config.json"]);
    } finally {
      remount(disk.dir, "rw");
    }
  },
});

Deno.test({
  name: "writeFileAtomic() leaves the original untouched and no temporary file when the disk fills",
  ignore,
  fn() {
    using disk = smallDisk();
    const big = new Uint8Array(1024 * 1024).fill(7);
    const error = assertThrows(() => writeFileAtomic(disk.file, big, { fsync: true }));
    assert(/os error 28|no space/i.test(error.message), error.message);
    assertEquals(Deno.readTextFileSync(disk.file), "old");
    assertEquals(names(disk.dir), ["config.json"]);
  },
});
