import {
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "../_assert.ts";
import { buildSif, chooseBuilder, runtimeBuildArgs } from "../../src/builders/builder.ts";
import { which } from "../../src/builders/command.ts";
import { definitionFile, ociConfigJson, singularityMetadata } from "../../src/sif/metadata.ts";
import { SregistryError, UsageError } from "../../src/errors.ts";
import { lutimesSync } from "node:fs";
import { busyboxRootfs, inRootfs } from "../_rootfs.ts";

Deno.test("chooseBuilder() picks native, which needs no program, unless the compression needs mksquashfs", () => {
  const none = () => undefined;
  const all = (p: string) => `/bin/${p}`;
  assertEquals(chooseBuilder("auto", none), "native");
  assertEquals(chooseBuilder("auto", none, "zstd"), "native");
  assertEquals(chooseBuilder("native", none, "gzip"), "native");
  assertEquals(chooseBuilder("auto", all, "xz"), "mksquashfs");
  assertEquals(chooseBuilder("mksquashfs", all), "mksquashfs");
  const missing = assertThrows(() => chooseBuilder("auto", none, "lz4"), SregistryError);
  assertStringIncludes(missing.message, "install squashfs-tools");
  assertEquals(missing.message.includes("\n"), false);
  assertThrows(() => chooseBuilder("native", all, "xz"), UsageError, "--builder mksquashfs");
  assertThrows(
    () => chooseBuilder("apptainer", (p) => p === "mksquashfs" ? "/x" : undefined),
    SregistryError,
  );
  assertEquals(
    chooseBuilder("singularity", (p) => p === "singularity" ? "/x" : undefined),
    "singularity",
  );
});

Deno.test("runtimeBuildArgs() builds the sandbox, under sudo only when asked", () => {
  assertEquals(runtimeBuildArgs("apptainer", { sandbox: "/s", output: "/o.sif" }), {
    cmd: "apptainer",
    args: ["build", "--force", "/o.sif", "/s"],
  });
  assertEquals(runtimeBuildArgs("singularity", { sandbox: "/s", output: "/o.sif", sudo: true }), {
    cmd: "sudo",
    args: ["singularity", "build", "--force", "/o.sif", "/s"],
  });
});

/** A stand-in apptainer/singularity (neither can be installed here) that records its argv. */
async function withStandIn(
  name: string,
  exitCode: number,
  fn: (log: string, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const log = `${dir}/argv`;
  await Deno.writeTextFile(
    `${dir}/${name}`,
    `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > ${log}\necho building >&2\nexit ${exitCode}\n`,
  );
  await Deno.chmod(`${dir}/${name}`, 0o755);
  const savedPath = Deno.env.get("PATH")!;
  Deno.env.set("PATH", dir);
  try {
    await fn(log, dir);
  } finally {
    Deno.env.set("PATH", savedPath);
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("buildSif() runs a stand-in apptainer found on PATH with the build argv", async () => {
  await withStandIn("apptainer", 0, async (log, dir) => {
    assertEquals(chooseBuilder("apptainer", which), "apptainer");
    const output: string[] = [];
    await buildSif({
      builder: "apptainer",
      rootfs: `${dir}/rootfs`,
      output: `${dir}/out.sif`,
      from: "alpine:3",
      config: {},
      arch: "amd64",
      onOutput: (s) => output.push(s),
    });
    assertEquals(await Deno.readTextFile(log), `build\n--force\n${dir}/out.sif\n${dir}/rootfs\n`);
    assertStringIncludes(output.join(""), "building");
  });
});

Deno.test("buildSif() reports a failing singularity build", async () => {
  await withStandIn("singularity", 2, async (_log, dir) => {
    const error = await assertRejects(
      () =>
        buildSif({
          builder: "singularity",
          rootfs: dir,
          output: `${dir}/o.sif`,
          from: "a",
          config: {},
          arch: "amd64",
        }),
      SregistryError,
    );
    assertStringIncludes(error.message, "singularity build failed: building");
  });
});

async function run(
  cmd: string,
  args: string[],
): Promise<{ code: number; out: Uint8Array; text: string }> {
  const o = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  return {
    code: o.code,
    out: o.stdout,
    text: new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr),
  };
}

const CONFIG = {
  architecture: "arm64",
  config: {
    Entrypoint: ["/bin/echo", "from"],
    Cmd: ["the image"],
    Env: ["A=1"],
    Labels: { l: "v" },
  },
};

/** Sets the mtime of `path` and everything under it (not following links) to `seconds`. */
async function setTimes(path: string, seconds: number): Promise<void> {
  const info = await Deno.lstat(path);
  if (info.isDirectory) {
    for await (const e of Deno.readDir(path)) await setTimes(`${path}/${e.name}`, seconds);
  }
  lutimesSync(path, seconds, seconds); // Deno.utime would follow a symbolic link
}

async function nativeImage(dir: string, name: string, deterministic = false): Promise<string> {
  const root = await busyboxRootfs(
    singularityMetadata({
      config: CONFIG.config,
      from: "example:1",
      arch: "arm64",
      created: "2024-01-01T00:00:00Z",
      baseDigest: "sha256:0",
    }),
  );
  try {
    // The folder's times are the image's: a reproducible build needs the same ones.
    if (deterministic) await setTimes(root, 1_600_000_000);
    const output = `${dir}/${name}`;
    await buildSif({
      builder: "mksquashfs",
      rootfs: root,
      output,
      from: "example:1",
      config: CONFIG,
      arch: "arm64",
      deterministic,
      sourceDateEpoch: 1700000000,
      isRoot: false,
    });
    return output;
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("buildSif() native: siftool sees Def.FILE, oci-config.json and a primary squashfs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const sif = await nativeImage(dir, "img.sif");
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["img.sif"]); // temp squashfs removed
    const list = await run("siftool", ["list", sif]);
    assertEquals(list.code, 0, list.text);
    assertStringIncludes(list.text, "Def.FILE");
    assertStringIncludes(list.text, "JSON.Generic");
    assertStringIncludes(list.text, "FS (Squashfs/*System/arm64)");
    const header = await run("siftool", ["header", sif]);
    assertStringIncludes(header.text, "Primary Architecture: arm64");
    const info = await run("siftool", ["info", "2", sif]);
    assertMatch(info.text, /Name:\s+oci-config\.json/);
    assertEquals((await run("siftool", ["dump", "1", sif])).text, definitionFile("example:1"));
    assertEquals((await run("siftool", ["dump", "2", sif])).text, ociConfigJson(CONFIG));
    const offset = Number(
      /Offset:\s+(\d+)/.exec((await run("siftool", ["info", "3", sif])).text)![1],
    );
    assertEquals(offset % 4096, 0);
    const extracted = `${dir}/tree`;
    const unsq = await run("unsquashfs", ["-o", String(offset), "-d", extracted, sif]);
    assertEquals(unsq.code, 0, unsq.text);
    assertEquals(Deno.readLinkSync(`${extracted}/bin/sh`), "busybox");
    const ran = await inRootfs(extracted, ["/.singularity.d/runscript"]);
    assertEquals(ran.stdout, "from the image\n", ran.stderr);
    const replaced = await inRootfs(extracted, ["/.run", "user", "args"]);
    assertEquals(replaced.stdout, "from user args\n", replaced.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("buildSif() native and deterministic gives identical files for identical inputs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = await Deno.readFile(await nativeImage(dir, "a.sif", true));
    await new Promise((r) => setTimeout(r, 1100)); // a later build time changes nothing
    const b = await Deno.readFile(await nativeImage(dir, "b.sif", true));
    assertEquals(a.length, b.length);
    assertEquals(a.every((byte, i) => byte === b[i]), true);
    assertEquals(a.subarray(48, 64), new Uint8Array(16));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
