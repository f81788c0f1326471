import { assertEquals, assertRejects, assertStringIncludes, assertThrows } from "../_assert.ts";
import { DEFAULT_LEVELS, makeSquashfs, mksquashfsArgs } from "../../src/builders/mksquashfs.ts";
import type { CommandRunner } from "../../src/builders/command.ts";
import { SregistryError } from "../../src/errors.ts";

const BASE = { source: "/r", output: "/o.sqfs", processors: 3 };

Deno.test("mksquashfsArgs() builds the command line for each case", () => {
  const table: [Parameters<typeof mksquashfsArgs>[0], string[]][] = [
    [{ ...BASE, compression: "gzip", isRoot: true }, [
      "/r",
      "/o.sqfs",
      "-noappend",
      "-comp",
      "gzip",
      "-Xcompression-level",
      "1",
      "-processors",
      "3",
      "-xattrs",
      "-no-progress",
      "-mem",
      "128M",
      "-quiet",
    ]],
    [{ ...BASE, compression: "gzip", level: 9, isRoot: false }, [
      "/r",
      "/o.sqfs",
      "-noappend",
      "-comp",
      "gzip",
      "-Xcompression-level",
      "9",
      "-processors",
      "3",
      "-xattrs",
      "-all-root",
      "-no-progress",
      "-mem",
      "128M",
      "-quiet",
    ]],
    [{ ...BASE, compression: "zstd", isRoot: true, deterministicTime: 1700000000 }, [
      "/r",
      "/o.sqfs",
      "-noappend",
      "-comp",
      "zstd",
      "-Xcompression-level",
      "3",
      "-processors",
      "3",
      "-xattrs",
      "-mkfs-time",
      "1700000000",
      "-no-progress",
      "-mem",
      "128M",
      "-quiet",
    ]],
    [{ ...BASE, compression: "lz4", isRoot: true }, [
      "/r",
      "/o.sqfs",
      "-noappend",
      "-comp",
      "lz4",
      "-processors",
      "3",
      "-xattrs",
      "-no-progress",
      "-mem",
      "128M",
      "-quiet",
    ]],
  ];
  for (const [opts, want] of table) assertEquals(mksquashfsArgs(opts), want);
  assertEquals(DEFAULT_LEVELS.gzip, 1);
});

Deno.test("mksquashfsArgs() rejects a level for lz4 and a bad processor count", () => {
  assertThrows(
    () => mksquashfsArgs({ ...BASE, compression: "lz4", level: 3, isRoot: true }),
    RangeError,
  );
  assertThrows(
    () => mksquashfsArgs({ ...BASE, processors: 0, compression: "gzip", isRoot: true }),
    RangeError,
  );
});

Deno.test("makeSquashfs() runs mksquashfs without SOURCE_DATE_EPOCH and reports its error", async () => {
  const calls: { cmd: string; args: string[]; unset?: string[] }[] = [];
  const ok: CommandRunner = (cmd, args, opts) => {
    calls.push({ cmd, args, unset: opts?.unsetEnv });
    return Promise.resolve({ code: 0, stderr: "" });
  };
  await makeSquashfs({ ...BASE, compression: "xz", isRoot: false, run: ok });
  assertEquals(calls, [{
    cmd: "mksquashfs",
    args: [
      "/r",
      "/o.sqfs",
      "-noappend",
      "-comp",
      "xz",
      "-processors",
      "3",
      "-xattrs",
      "-all-root",
      "-no-progress",
      "-mem",
      "128M",
      "-quiet",
    ],
    unset: ["SOURCE_DATE_EPOCH"],
  }]);
  const failing: CommandRunner = () =>
    Promise.resolve({
      code: 1,
      stderr: "Parallel Mksquashfs\nFATAL ERROR: No space left on device\n",
    });
  const error = await assertRejects(
    () => makeSquashfs({ ...BASE, compression: "gzip", isRoot: true, run: failing }),
    SregistryError,
  );
  assertStringIncludes(error.message, "FATAL ERROR: No space left on device");
});

async function listing(image: string): Promise<string> {
  const out = await new Deno.Command("unsquashfs", { args: ["-lln", image], stdout: "piped" })
    .output();
  return new TextDecoder().decode(out.stdout);
}

Deno.test("makeSquashfs() with the real mksquashfs keeps owners as root, -all-root otherwise", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/src/sub`, { recursive: true });
    await Deno.writeTextFile(`${dir}/src/sub/file`, "content");
    if (Deno.uid() === 0) await Deno.chown(`${dir}/src/sub/file`, 1234, 5678);
    await makeSquashfs({
      source: `${dir}/src`,
      output: `${dir}/a.sqfs`,
      compression: "gzip",
      processors: 1,
      isRoot: true,
    });
    await makeSquashfs({
      source: `${dir}/src`,
      output: `${dir}/b.sqfs`,
      compression: "gzip",
      processors: 1,
      isRoot: false,
    });
    if (Deno.uid() === 0) assertStringIncludes(await listing(`${dir}/a.sqfs`), "1234/5678");
    const b = await listing(`${dir}/b.sqfs`);
    assertStringIncludes(b, "squashfs-root/sub/file");
    assertEquals(b.includes("1234/5678"), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("makeSquashfs() with a deterministic time gives identical images for the same folder, even with SOURCE_DATE_EPOCH set", async () => {
  const dir = await Deno.makeTempDir();
  const saved = Deno.env.get("SOURCE_DATE_EPOCH");
  Deno.env.set("SOURCE_DATE_EPOCH", "1000");
  try {
    await Deno.mkdir(`${dir}/src`);
    await Deno.writeTextFile(`${dir}/src/f`, "x");
    const opts = {
      source: `${dir}/src`,
      compression: "gzip" as const,
      processors: 2,
      isRoot: false,
      deterministicTime: 1000,
    };
    await Deno.utime(`${dir}/src/f`, 5, 5);
    await makeSquashfs({ ...opts, output: `${dir}/1.sqfs` });
    await new Promise((r) => setTimeout(r, 1100)); // a later build time changes nothing
    await makeSquashfs({ ...opts, output: `${dir}/2.sqfs` });
    assertEquals(await Deno.readFile(`${dir}/1.sqfs`), await Deno.readFile(`${dir}/2.sqfs`));
  } finally {
    if (saved === undefined) Deno.env.delete("SOURCE_DATE_EPOCH");
    else Deno.env.set("SOURCE_DATE_EPOCH", saved);
    await Deno.remove(dir, { recursive: true });
  }
});
