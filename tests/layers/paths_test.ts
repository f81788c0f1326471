import { assertEquals, assertThrows } from "../_assert.ts";
import { cleanEntryName, resolveInRoot, resolveRelative } from "../../src/layers/paths.ts";
import { sandbox } from "./_unpack.ts";

const clean: { name: string; input: string; want: string | undefined }[] = [
  { name: "plain", input: "etc/passwd", want: "etc/passwd" },
  { name: "leading ./", input: "./etc/passwd", want: "etc/passwd" },
  { name: "absolute", input: "/etc/passwd", want: "etc/passwd" },
  { name: "double slashes and dots", input: ".//a/./b//c/", want: "a/b/c" },
  { name: "inner ..", input: "a/b/../c", want: "a/c" },
  { name: "escaping ..", input: "../../etc/shadow", want: "etc/shadow" },
  { name: "absolute with ..", input: "/../../../x", want: "x" },
  { name: "only ..", input: "..", want: "" },
  { name: "root", input: "./", want: "" },
  { name: "backslashes are names", input: "a\\..\\b", want: "a\\..\\b" },
  { name: "empty", input: "", want: undefined },
  { name: "NUL byte", input: "a\0/../etc", want: undefined },
  { name: "UTF-8", input: "./données/été", want: "données/été" },
];
for (const c of clean) {
  Deno.test(`cleanEntryName() ${c.name}`, () => assertEquals(cleanEntryName(c.input), c.want));
}

Deno.test("resolveInRoot() keeps every hostile path inside the root", async () => {
  await using box = await sandbox();
  const r = box.root;
  await Deno.mkdir(`${r}/usr/lib`, { recursive: true });
  await Deno.symlink("/usr/lib", `${r}/lib`);
  await Deno.symlink("../../../..", `${r}/up`);
  await Deno.symlink(box.sentinel, `${r}/abs-out`);
  await Deno.symlink("../sentinel", `${r}/rel-out`);
  await Deno.symlink("loop2", `${r}/loop1`);
  await Deno.symlink("loop1", `${r}/loop2`);
  await Deno.symlink("usr/lib/../../lib/../etc", `${r}/twisty`);
  const table: { rel: string; followFinal?: boolean; want: string; complete?: boolean }[] = [
    { rel: "lib/x.so", want: "usr/lib/x.so", complete: true },
    { rel: "lib", want: "lib" },
    { rel: "lib", followFinal: true, want: "usr/lib" },
    { rel: "up/etc/passwd", want: "etc/passwd", complete: false },
    { rel: "abs-out/file", want: `${box.sentinel.slice(1)}/file`, complete: false },
    { rel: "rel-out/file", want: "sentinel/file", complete: false },
    { rel: "twisty/passwd", want: "usr/etc/passwd", complete: false },
    { rel: "missing/../../x", want: "x", complete: false },
  ];
  for (const c of table) {
    const got = resolveRelative(r, c.rel, { followFinal: c.followFinal });
    assertEquals(got.rel, c.want, c.rel);
    if (c.complete !== undefined) assertEquals(got.complete, c.complete, c.rel);
    const abs = resolveInRoot(r, c.rel, { followFinal: c.followFinal });
    assertEquals(abs.startsWith(`${r}/`) || abs === r, true, abs);
  }
  assertThrows(() => resolveRelative(r, "loop1/x"), Deno.errors.FilesystemLoop, "symbolic links");
});
