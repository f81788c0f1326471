/**
 * The native builder end to end: `sregistry pull` of the image with every
 * layer case makes a SIF whose partition four independent readers
 * (unsquashfs, sqfs2tar, squashfuse_ll, the kernel) read back as umoci's
 * tree; a pull with no squashfs tool on PATH builds a valid SIF; a pull as an
 * ordinary user gives the same tree, modes and owners as the same pull as root.
 */
import { assert, assertEquals } from "../_assert.ts";
import { cliHome, DENO_DIR, RUN_FLAGS } from "../_cli.ts";
import { buildImage } from "../_images.ts";
import { LAYER_CASES } from "../_layer_cases.ts";
import { umociUnpack, writeOciLayout } from "../_oci_layout.ts";
import { pushImage, startRegistry } from "../_registry.ts";
import { diffListings, readAll, walkTree } from "../_readers.ts";
import { imagePart, partitionOffset, run } from "./_sif_image.ts";

Deno.test("sregistry pull builds every layer case natively: four readers give umoci's tree", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const image = await buildImage({ layers: LAYER_CASES });
  await pushImage(reg, "test/cases", "v1", image);
  const pulled = await home.run(["pull", `${reg.host}/test/cases:v1`]);
  assertEquals(pulled.code, 0, pulled.stderr);
  const sif = pulled.stdout.trim();
  await writeOciLayout(`${home.home}/layout`, image, "v1");
  const umoci = imagePart(
    await walkTree(await umociUnpack(`${home.home}/layout`, "v1", `${home.home}/umoci`)),
  ).map((n) => n.path === "keep" ? { ...n, mtime: 1_600_000_000 } : n); // umoci: time of the change
  const readers = await readAll(sif, { offset: await partitionOffset(sif) });
  assert(readers.size >= 2, `only ${[...readers.keys()]} could read the image`);
  for (const [reader, listing] of readers) {
    assertEquals(diffListings(umoci, imagePart(listing), ["umoci", reader]), [], reader);
  }
});

/** A PATH holding only `df` and `ps` (free space, lock owners): no squashfs tool, no runtime. */
async function barePath(dir: string): Promise<string> {
  await Deno.mkdir(dir);
  for (const tool of ["df", "ps"]) {
    const path = (await run("sh", ["-c", `command -v ${tool}`])).trim();
    await Deno.symlink(path, `${dir}/${tool}`);
  }
  return dir;
}

Deno.test("sregistry pull without any squashfs tool on PATH builds a valid SIF", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const image = await buildImage({ layers: LAYER_CASES });
  await pushImage(reg, "test/bare", "v1", image);
  const path = await barePath(`${home.home}/bin`);
  for (const tool of ["mksquashfs", "tar2sqfs", "apptainer", "singularity", "unsquashfs"]) {
    assertEquals(
      await run("/bin/sh", ["-c", `command -v ${tool} || true`], { PATH: path }),
      "",
      tool,
    );
  }
  const pulled = await home.run(["pull", `${reg.host}/test/bare:v1`], { env: { PATH: path } });
  assertEquals(pulled.code, 0, pulled.stderr);
  const sif = pulled.stdout.trim();
  const list = await run("siftool", ["list", sif]);
  for (const object of ["Def.FILE", "JSON.Generic", "FS (Squashfs/*System/amd64)"]) {
    assert(list.includes(object), list);
  }
  const listing = await run("unsquashfs", ["-lls", "-o", `${await partitionOffset(sif)}`, sif]);
  assert(listing.includes("squashfs-root/usr/bin/su"), listing);
});

const NOBODY = 65534;

Deno.test({
  name: "sregistry pull as an ordinary user gives root's image: same tree, modes and owners",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    await using reg = await startRegistry();
    const image = await buildImage({ layers: LAYER_CASES });
    await pushImage(reg, "test/user", "v1", image);
    const base = await Deno.makeTempDir({ prefix: "sregistry-user-" });
    try {
      await Deno.chmod(base, 0o777);
      const sifs: string[] = [];
      for (const who of ["root", "nobody"]) {
        const home = `${base}/${who}`;
        await Deno.mkdir(home, { mode: 0o755 });
        if (who === "nobody") await Deno.chown(home, NOBODY, NOBODY);
        const env = {
          HOME: home,
          PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
          DENO_DIR: who === "root" ? DENO_DIR : `${home}/deno`,
          SREGISTRY_TMPDIR: `${home}/tmp`,
          SREGISTRY_DOCKERHUB_NOHTTPS: "yes",
          SOURCE_DATE_EPOCH: "1700000000",
          NO_COLOR: "1",
        };
        const deno = [Deno.execPath(), "run", "--quiet", ...RUN_FLAGS];
        const main = new URL("../../main.ts", import.meta.url).pathname;
        const args = [
          ...deno,
          main,
          "pull",
          "--name",
          `${home}/image.sif`,
          `${reg.host}/test/user:v1`,
        ];
        const cmd = who === "root" ? args : [
          "setpriv",
          `--reuid=${NOBODY}`,
          `--regid=${NOBODY}`,
          "--clear-groups",
          ...args,
        ];
        await run(cmd[0], cmd.slice(1), env);
        sifs.push(`${home}/image.sif`);
      }
      const [asRoot, asUser] = await Promise.all(sifs.map((s) => Deno.readFile(s)));
      // SOURCE_DATE_EPOCH: the same inputs give the same bytes, whoever builds
      assertEquals(asUser.length, asRoot.length);
      assert(asUser.every((b, i) => b === asRoot[i]), "the two SIFs differ");
      const offset = await partitionOffset(sifs[0]);
      const lls = await Promise.all(
        sifs.map((s) => run("unsquashfs", ["-lln", "-o", `${offset}`, s])),
      );
      assertEquals(lls[1], lls[0]);
      for (
        const line of [
          /^crw-rw-rw- 0\/0 +1, +3 .* squashfs-root\/dev\/null$/m,
          /^-rws--x--x 0\/0 .* squashfs-root\/usr\/bin\/su$/m,
          /^-rwxr-sr-x 0\/5 .* squashfs-root\/usr\/bin\/wall$/m,
          /^d--------- 0\/0 .* squashfs-root\/closed$/m,
          /^---------- 0\/0 .* squashfs-root\/secret$/m,
          /^drwx------ 1000\/1000 .* squashfs-root\/home\/user$/m,
          /^drwxr-s--- 33\/33 .* squashfs-root\/srv$/m,
          /^prw------- 0\/0 .* squashfs-root\/run\/initctl$/m,
        ]
      ) assert(line.test(lls[1]), `${line} in\n${lls[1]}`);
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test("sregistry pull drops what upper layers removed or replaced: the SIF does not carry it, four readers give umoci's tree", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const random = (n: number) => {
    const out = new Uint8Array(n);
    for (let at = 0; at < n; at += 65536) crypto.getRandomValues(out.subarray(at, at + 65536));
    return out;
  };
  const keep = random(1_500_000);
  const image = await buildImage({
    layers: [
      {
        entries: [
          { name: "etc", type: "directory" }, // the metadata step adds them otherwise
          { name: "var", type: "directory" },
          { name: "apt", type: "directory" },
          { name: "apt/lists.bin", content: random(3_000_000) },
          { name: "keep.bin", content: keep },
          { name: "replaced.bin", content: random(2_000_000) },
          { name: "small.txt", content: "lower\n" },
        ],
      },
      {
        entries: [
          { name: ".wh.apt" },
          { name: "replaced.bin", content: "now small\n" },
          { name: "added.bin", content: random(700_000) },
        ],
      },
    ],
  });
  await pushImage(reg, "test/waste", "v1", image);
  const pulled = await home.run(["--debug", "pull", `${reg.host}/test/waste:v1`]);
  assertEquals(pulled.code, 0, pulled.stderr);
  const sif = pulled.stdout.trim();
  // Random data is stored as it is: 2.2 MB live; the 5 MB removed or replaced is gone.
  const size = (await Deno.stat(sif)).size;
  assert(size < 2_200_000 + 300_000, `the SIF is ${size} bytes`);
  // All but the tails, which stay in their fragment blocks.
  assert(/compaction dropped 4\.[89] MB/.test(pulled.stderr), pulled.stderr);
  await writeOciLayout(`${home.home}/layout`, image, "v1");
  const umoci = imagePart(
    await walkTree(await umociUnpack(`${home.home}/layout`, "v1", `${home.home}/umoci`)),
  );
  const readers = await readAll(sif, { offset: await partitionOffset(sif) });
  assert(readers.size >= 2, `only ${[...readers.keys()]} could read the image`);
  for (const [reader, listing] of readers) {
    assertEquals(diffListings(umoci, imagePart(listing), ["umoci", reader]), [], reader);
  }
});
