import { assertEquals, assertStringIncludes } from "../_assert.ts";

Deno.test("SquashfsWriter works from a single bundled file (Workers from a Blob URL)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bundle = `${dir}/writer.js`;
    const entry = new URL("./_bundle_entry.ts", import.meta.url).pathname;
    const built = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--quiet", "--output", bundle, entry],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(built.code, 0, new TextDecoder().decode(built.stderr));
    // Only the bundle is there: no worker module beside it to load.
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["writer.js"]);
    const image = `${dir}/image.sqfs`;
    const ran = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-write", "--allow-env", bundle, image],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(ran.code, 0, new TextDecoder().decode(ran.stderr));
    const extracted = await new Deno.Command("unsquashfs", {
      args: ["-cat", image, "file.txt"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(extracted.code, 0, new TextDecoder().decode(extracted.stderr));
    const text = new TextDecoder().decode(extracted.stdout);
    assertEquals(text.length, "bundled squashfs writer\n".length * 20000);
    assertStringIncludes(text, "bundled squashfs writer\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
