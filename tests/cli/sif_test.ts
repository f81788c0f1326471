/**
 * What `sregistry pull` puts in a SIF, checked with the reference tools: the
 * squashfs partition holds the same tree as `umoci raw unpack` plus the
 * Singularity metadata, the runscript runs ENTRYPOINT + CMD inside it (under
 * bwrap) and user arguments replace CMD, and the env script gives back every
 * Env value byte for byte.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { buildImage } from "../_images.ts";
import { pushImage, startRegistry } from "../_registry.ts";
import { umociUnpack, writeOciLayout } from "../_oci_layout.ts";
import { diffTrees, snapshotTree } from "../_tree.ts";
import type { TarEntry } from "../_tar.ts";

const TRICKY = `it's "quoted" $HOME \`date\` back\\slash`;

function busybox(): TarEntry[] {
  const entries: TarEntry[] = [
    { name: "bin", type: "directory" },
    { name: "bin/busybox", content: Deno.readFileSync("/bin/busybox"), mode: 0o755 },
    { name: "etc", type: "directory" },
    { name: "etc/passwd", content: "root:x:0:0:root:/root:/bin/sh\n" },
    { name: "srv", type: "directory", mode: 0o750 },
    { name: "srv/data.txt", content: "payload\n", mode: 0o640, uid: 1000, gid: 1000 },
  ];
  for (const tool of ["sh", "echo", "printf", "cat", "env"]) {
    entries.push({ name: `bin/${tool}`, type: "symlink", linkname: "/bin/busybox" });
  }
  return entries;
}

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stderr: "piped" }).output();
  const err = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")}: ${err}`);
  return new TextDecoder().decode(out.stdout);
}

const METADATA =
  /^(\.singularity\.d|singularity|\.run|\.exec|\.shell|\.test|environment|dev|proc|root|var|tmp|sys|home|etc\/hosts|etc\/resolv\.conf)(\/|$)/;

Deno.test("sregistry pull makes a SIF whose partition is the image plus metadata, with a working runscript", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const image = await buildImage({
    layers: [{ entries: busybox() }],
    config: {
      Env: ["PATH=/bin", `GREETING=${TRICKY}`, "EMPTY="],
      Entrypoint: ["/bin/echo", "entry"],
      Cmd: ["default", "args"],
      Labels: { "org.example.team": "hpc" },
    },
  });
  await pushImage(reg, "test/sif", "v1", image);
  const pulled = await home.run(["pull", `${reg.host}/test/sif:v1`]);
  assertEquals(pulled.code, 0, pulled.stderr);
  const sif = pulled.stdout.trim();

  const list = await run("siftool", ["list", sif]);
  const fs = /\n\d+\s*\|1\s*\|NONE\s*\|(\d+)-(\d+)\s*\|FS \(Squashfs\/\*System\/amd64\)/.exec(list);
  assert(fs, list);
  assertStringIncludes(list, "Def.FILE");
  assertStringIncludes(list, "JSON.Generic");
  const offset = Number(fs[1]);
  assertEquals(offset % 4096, 0);

  const tree = `${home.home}/unsquashed`;
  await run("unsquashfs", ["-q", "-n", "-d", tree, "-o", String(offset), sif]);
  await writeOciLayout(`${home.home}/layout`, image, "v1");
  const umoci = await umociUnpack(`${home.home}/layout`, "v1", `${home.home}/umoci`);
  const ignore = (rel: string) => METADATA.test(rel);
  const ours = await snapshotTree(tree, { ignore });
  assertEquals(diffTrees(await snapshotTree(umoci, { ignore }), ours), []);
  assertEquals(ours.get("srv/data.txt")?.uid, 1000); // the image's owner, whoever pulls
  for (
    const path of [
      ".singularity.d/runscript",
      ".singularity.d/actions/run",
      ".singularity.d/labels.json",
    ]
  ) {
    assert(Deno.statSync(`${tree}/${path}`).isFile, path);
  }
  assertStringIncludes(
    Deno.readTextFileSync(`${tree}/.singularity.d/labels.json`),
    "org.example.team",
  );

  const bwrap = (...args: string[]) =>
    run("bwrap", ["--bind", tree, "/", "--dev", "/dev", "--proc", "/proc", "--clearenv", ...args]);
  assertEquals(await bwrap("/bin/sh", "/.singularity.d/runscript"), "entry default args\n");
  assertEquals(
    await bwrap("/bin/sh", "/.singularity.d/runscript", "mine", "only"),
    "entry mine only\n",
  );
  const env = await bwrap(
    "/bin/sh",
    "-c",
    '. /.singularity.d/env/10-docker2singularity.sh; printf "%s|%s|%s" "$GREETING" "$EMPTY" "$PATH"',
  );
  assertEquals(env, `${TRICKY}||/bin`);
});

Deno.test("sregistry pull gives umoci's tree when an upper layer deletes through a symlink, and --debug counts the wasted bytes", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const image = await buildImage({
    layers: [
      {
        entries: [
          { name: "usr/bin", type: "directory" },
          { name: "bin", type: "symlink", linkname: "usr/bin" },
        ],
      },
      {
        entries: [
          { name: "usr/bin/tool", content: "t".repeat(300_000) },
          { name: "usr/bin/kept", content: "k".repeat(300_000) },
        ],
      },
      { entries: [{ name: "bin/.wh.tool" }] }, // deletes usr/bin/tool through the symlink
    ],
  });
  await pushImage(reg, "test/guess", "v1", image);
  const pulled = await home.run(["--debug", "pull", `${reg.host}/test/guess:v1`]);
  assertEquals(pulled.code, 0, pulled.stderr);
  // usr/bin/tool was stored as its layer arrived, then deleted by the layer above
  assertStringIncludes(pulled.stderr, "(300000 bytes) belongs to files that upper layers removed");
  const sif = pulled.stdout.trim().split("\n").at(-1)!;
  const list = await run("siftool", ["list", sif]);
  const offset = /\|(\d+)-\d+\s*\|FS \(Squashfs/.exec(list)![1];
  const tree = `${home.home}/unsquashed`;
  await run("unsquashfs", ["-q", "-n", "-d", tree, "-o", offset, sif]);
  await writeOciLayout(`${home.home}/layout`, image, "v1");
  const umoci = await umociUnpack(`${home.home}/layout`, "v1", `${home.home}/umoci`);
  const ignore = (rel: string) => METADATA.test(rel) || rel === "etc"; // etc: made for etc/hosts
  const ours = await snapshotTree(tree, { ignore });
  assertEquals(diffTrees(await snapshotTree(umoci, { ignore }), ours), []);
  assertEquals(ours.get("usr/bin/tool"), undefined);
  assertEquals(ours.get("usr/bin/kept")?.size, 300_000);
});

function noise(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}

Deno.test("sregistry pull --jobs 1 builds an image whose largest layer has layers above it", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const image = await buildImage({
    layers: [
      { entries: [{ name: "base.txt", content: "b" }] },
      { entries: [{ name: "big.bin", content: noise(4 << 20) }] }, // many chunks even compressed
      { entries: [{ name: "top.txt", content: "t" }] },
      { entries: [{ name: ".wh.base.txt" }] },
    ],
  });
  await pushImage(reg, "test/order", "v1", image);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("the pull did not finish in 60 s")), 60_000);
  });
  const pulled = await Promise.race([
    home.run(["pull", "--jobs", "1", `${reg.host}/test/order:v1`]),
    timeout,
  ]).finally(() => clearTimeout(timer));
  assertEquals(pulled.code, 0, pulled.stderr);
  const sif = pulled.stdout.trim().split("\n").at(-1)!;
  const list = await run("siftool", ["list", sif]);
  const offset = /\|(\d+)-\d+\s*\|FS \(Squashfs/.exec(list)![1];
  const files = await run("unsquashfs", ["-l", "-o", offset, sif]);
  for (const f of ["big.bin", "top.txt"]) assertStringIncludes(files, `squashfs-root/${f}\n`);
  assert(!files.includes("base.txt"), files);
});

Deno.test("SREGISTRY_COMPRESSION sets the image's compression, and --compression overrides it", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const image = await buildImage({ layers: [{ entries: [{ name: "a.txt", content: "a" }] }] });
  await pushImage(reg, "test/zstd", "v1", image);
  const ref = `${reg.host}/test/zstd:v1`;
  const compressionOf = async (args: string[]) => {
    const pulled = await home.run(["pull", "--force", ...args, ref], {
      env: { SREGISTRY_COMPRESSION: "zstd" },
    });
    assertEquals(pulled.code, 0, pulled.stderr);
    const sif = pulled.stdout.trim().split("\n").at(-1)!;
    const offset = /\|(\d+)-\d+\s*\|FS \(Squashfs/.exec(await run("siftool", ["list", sif]))![1];
    return /Compression (\w+)/.exec(await run("unsquashfs", ["-s", "-o", offset, sif]))?.[1];
  };
  assertEquals(await compressionOf([]), "zstd");
  assertEquals(await compressionOf(["--compression", "gzip"]), "gzip");
});
