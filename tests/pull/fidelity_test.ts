/**
 * Entries a squashfs or a folder cannot store exactly give the same image on
 * every road (native SIF, `--builder mksquashfs`, `--sandbox`), with one
 * summary line per kind: times outside squashfs's unsigned 32-bit seconds
 * are clamped (as tar2sqfs does), device numbers out of range are skipped,
 * and extended attributes reach the folder (and so mksquashfs's SIF).
 * Images are served by the real registry and read back with the real tools.
 */
import { assert, assertEquals } from "../_assert.ts";
import { type CliHome, cliHome, runCli } from "../_cli.ts";
import { buildImage, imageOfTars } from "../_images.ts";
import { runTool } from "../_tools.ts";
import { pushImage, startRegistry, type TestRegistry } from "../_registry.ts";
import { type ListedNode, readAll, walkTree } from "../_readers.ts";
import type { TarEntry } from "../_tar.ts";
import { partitionOffset } from "./_sif_image.ts";

const U32_MAX = 0xffffffff;
const NOBODY = 65534;

/** Name, PAX mtime, the mtime every road must give. */
const TIMES: [string, string, number][] = [
  ["neg", "-100", 0],
  ["neg-fraction", "-0.5", 0],
  ["before-1970", "-2208988800", 0],
  ["after-2106", "4294967296", U32_MAX],
  ["far-future", "99999999999999.25", U32_MAX],
  ["last-second", "4294967295.75", U32_MAX],
  ["fraction", "1600000000.5", 1_600_000_000],
  ["epoch", "0", 0],
];

/** The three roads: a listing of the image each gives (the SIFs through every reader). */
async function roads(
  reg: TestRegistry,
  home: CliHome,
  ref: string,
): Promise<{ listings: Map<string, ListedNode[]>; stderr: Map<string, string> }> {
  const listings = new Map<string, ListedNode[]>();
  const stderr = new Map<string, string>();
  for (const road of ["native", "mksquashfs", "sandbox"]) {
    const args = road === "sandbox"
      ? ["pull", "--sandbox", `${home.home}/sandbox`]
      : ["pull", "--builder", road, "--name", `${home.home}/${road}.sif`];
    const r = await home.run([...args, `${reg.host}/${ref}`]);
    assertEquals(r.code, 0, `${road}: ${r.stderr}`);
    stderr.set(road, r.stderr);
    if (road === "sandbox") {
      listings.set(road, await walkTree(`${home.home}/sandbox`));
      continue;
    }
    const sif = `${home.home}/${road}.sif`;
    const readers = await readAll(sif, { offset: await partitionOffset(sif) });
    assert(readers.size >= 2, `only ${[...readers.keys()]} could read the ${road} SIF`);
    for (const [reader, listing] of readers) listings.set(`${road}/${reader}`, listing);
  }
  return { listings, stderr };
}

function byPath(listing: ListedNode[]): Map<string, ListedNode> {
  return new Map(listing.map((n) => [n.path, n]));
}

/** The warning lines of `stderr` that mention `word`. */
function linesWith(stderr: string, word: string): string[] {
  return stderr.split("\n").filter((line) => line.startsWith("Warning:") && line.includes(word));
}

Deno.test("mtimes outside squashfs's range are clamped alike on every road, with one summary line", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const entries: TarEntry[] = [
    { name: "t", type: "directory", pax: { mtime: "-1" } },
    ...TIMES.map(([name, mtime]) => ({ name: `t/${name}`, content: name, pax: { mtime } })),
  ];
  // GNU tar writes a time before 1970 in base-256 (two's complement), 2223 in octal.
  const dir = `${home.home}/gnu/g`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/old`, "old");
  await Deno.writeTextFile(`${dir}/new`, "new");
  await Deno.utime(`${dir}/old`, -100, -100);
  await Deno.utime(`${dir}/new`, 8_000_000_000, 8_000_000_000);
  const gnu = await runTool("tar", ["--format=gnu", "-cf", "-", "-C", `${home.home}/gnu`, "g"]);
  const image = await buildImage({ layers: [{ entries }] });
  await pushImage(reg, "test/times", "v1", await imageOfTars([image.tars[0], gnu]));
  const { listings, stderr } = await roads(reg, home, "test/times:v1");
  for (const [where, listing] of listings) {
    const nodes = byPath(listing);
    // The folder's time is set after its files: a clamped -1 is 0, not 2106.
    assertEquals(nodes.get("t")?.mtime, 0, `${where}: t`);
    for (const [name, , want] of TIMES) {
      assertEquals(nodes.get(`t/${name}`)?.mtime, want, `${where}: ${name}`);
    }
    assertEquals(nodes.get("g/old")?.mtime, 0, `${where}: g/old`);
    assertEquals(nodes.get("g/new")?.mtime, U32_MAX, `${where}: g/new`);
  }
  for (const [road, text] of stderr) {
    // t, neg, neg-fraction, before-1970, after-2106, far-future, g/old, g/new; not last-second
    assertEquals(linesWith(text, "clamped"), [
      "Warning: 8 entries had modification times outside 1970-01-01..2106-02-07 (squashfs's " +
      "unsigned 32-bit seconds): clamped to the nearest end",
    ], road);
  }
});

Deno.test("device numbers squashfs and Linux cannot hold are skipped alike on every road, with one summary line", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const entries: TarEntry[] = [
    { name: "dev", type: "directory" },
    { name: "dev/null", type: "char", devmajor: 1, devminor: 3, mode: 0o666 },
    { name: "dev/big-major", type: "char", devmajor: 4096, devminor: 0 },
    { name: "dev/big-minor", type: "block", devmajor: 8, devminor: 1048576 },
    { name: "dev/last", type: "block", devmajor: 4095, devminor: 1048575 },
    { name: "dev/both", type: "char", devmajor: 0o7777777, devminor: 0o7777777 },
  ];
  await pushImage(reg, "test/devices", "v1", await buildImage({ layers: [{ entries }] }));
  const { listings, stderr } = await roads(reg, home, "test/devices:v1");
  for (const [where, listing] of listings) {
    const devices = listing.filter((n) => n.path.startsWith("dev/"))
      .map((n) => `${n.path} ${n.type} ${n.major}:${n.minor}`);
    const root = Deno.uid() === 0 || where !== "sandbox";
    assertEquals(
      devices,
      root ? ["dev/last block 4095:1048575", "dev/null char 1:3"] : [],
      where,
    );
  }
  for (const [road, text] of stderr) {
    assertEquals(linesWith(text, "device"), [
      "Warning: 3 device nodes skipped: their numbers are out of range (major > 4095 or minor > " +
      "1048575), which neither squashfs nor Linux can hold",
    ], road);
  }
});

/** security.capability of `cap_net_raw+ep` (vfs_cap_data revision 2, little-endian). */
const CAP = "\x01\x00\x00\x02\x00\x20\x00\x00" + "\x00".repeat(12);
const XATTR_ENTRIES: TarEntry[] = [
  { name: "x", type: "directory", pax: { "SCHILY.xattr.user.dir": "folder" } },
  {
    name: "x/caps",
    content: "ping",
    mode: 0o755,
    pax: { "SCHILY.xattr.security.capability": CAP, "SCHILY.xattr.user.note": "hello" },
  },
  { name: "x/ro", content: "read-only", mode: 0o444, pax: { "SCHILY.xattr.user.ro": "r" } },
  { name: "x/ro-link", type: "link", linkname: "x/ro" },
  { name: "x/link", type: "symlink", linkname: "caps", pax: { "SCHILY.xattr.user.sym": "s" } },
];
const USER_XATTR_LINE = "Warning: 1 user.* extended attributes of symbolic links, devices or " +
  "FIFOs dropped: Linux allows them only on files and folders";
const hex = (s: string) =>
  [...s].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");

Deno.test({
  name:
    "xattrs reach the --sandbox folder and mksquashfs's SIF as in the native SIF; user.* of a symlink is dropped on every road",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    await using reg = await startRegistry();
    await using home = await cliHome();
    const image = await buildImage({ layers: [{ entries: XATTR_ENTRIES }] });
    await pushImage(reg, "test/xattrs", "v1", image);
    const { listings, stderr } = await roads(reg, home, "test/xattrs:v1");
    for (const [where, listing] of listings) {
      const nodes = byPath(listing);
      assertEquals(nodes.get("x")?.xattrs, { "user.dir": hex("folder") }, where);
      assertEquals(
        nodes.get("x/caps")?.xattrs,
        { "security.capability": hex(CAP), "user.note": hex("hello") },
        where,
      );
      assertEquals(nodes.get("x/ro")?.xattrs, { "user.ro": hex("r") }, where);
      assertEquals(nodes.get("x/ro-link")?.xattrs, { "user.ro": hex("r") }, where);
      assertEquals(nodes.get("x/ro")?.mode, 0o444, where);
      // Linux refuses user.* on symbolic links: no road keeps it (unsquashfs failed on the native SIF).
      assertEquals(nodes.get("x/link")?.xattrs, undefined, where);
    }
    for (const [road, text] of stderr) {
      assertEquals(linesWith(text, "extended"), [USER_XATTR_LINE], road);
    }
  },
});

Deno.test({
  name:
    "an ordinary user's --sandbox gets the user.* xattrs, even on a read-only file; security.* is one 'needs root' line",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    await using reg = await startRegistry();
    const image = await buildImage({ layers: [{ entries: XATTR_ENTRIES }] });
    await pushImage(reg, "test/xattrs", "v1", image);
    const home = await Deno.makeTempDir({ prefix: "sregistry-xattr-user-" });
    try {
      await Deno.chmod(home, 0o755);
      await Deno.chown(home, NOBODY, NOBODY);
      const out = await runCli([
        "pull",
        "--sandbox",
        `${home}/sandbox`,
        `${reg.host}/test/xattrs:v1`,
      ], {
        env: {
          HOME: home,
          PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
          DENO_DIR: `${home}/deno`,
          SREGISTRY_TMPDIR: `${home}/tmp`,
          SREGISTRY_DOCKERHUB_NOHTTPS: "yes",
        },
        clearEnv: true,
        asUser: NOBODY,
      });
      const err = out.stderr;
      assertEquals(out.code, 0, err);
      const nodes = byPath(await walkTree(`${home}/sandbox`));
      assertEquals(nodes.get("x")?.xattrs, { "user.dir": hex("folder") });
      assertEquals(nodes.get("x/caps")?.xattrs, { "user.note": hex("hello") });
      assertEquals(nodes.get("x/ro")?.xattrs, { "user.ro": hex("r") });
      assertEquals(nodes.get("x/ro")?.mode, 0o444);
      assertEquals(linesWith(err, "extended"), [
        "Warning: 1 extended attributes (SCHILY.xattr.*) not set on the unpacked folder " +
        "(1 security.* (needs root)); the default native builder keeps them in the SIF",
        USER_XATTR_LINE,
      ]);
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
});

/**
 * Pulls one layer of `entries` with SOURCE_DATE_EPOCH=`epoch` on the native and the
 * mksquashfs road, and calls `check` with each reader's listing of each SIF.
 */
async function pullOnEachRoad(
  epoch: string,
  entries: TarEntry[],
  check: (where: string, nodes: Map<string, ListedNode>) => void,
): Promise<void> {
  await using reg = await startRegistry();
  await using home = await cliHome({ SOURCE_DATE_EPOCH: epoch });
  await pushImage(reg, "test/epoch", "v1", await buildImage({ layers: [{ entries }] }));
  for (const road of ["native", "mksquashfs"]) {
    const sif = `${home.home}/${road}.sif`;
    const r = await home.run([
      "pull",
      "--builder",
      road,
      "--name",
      sif,
      `${reg.host}/test/epoch:v1`,
    ]);
    assertEquals(r.code, 0, `${road}: ${r.stderr}`);
    const readers = await readAll(sif, { offset: await partitionOffset(sif) });
    assert(readers.size >= 2, `only ${[...readers.keys()]} could read the ${road} SIF`);
    for (const [reader, listing] of readers) check(`${road}/${reader}`, byPath(listing));
  }
}

Deno.test("SOURCE_DATE_EPOCH past 2106 is clamped by mksquashfs's road as by the native one (mksquashfs refused it)", async () => {
  const entries: TarEntry[] = [{ name: "d", type: "directory" }, { name: "d/f", content: "f" }];
  await pullOnEachRoad("99999999999", entries, (where, nodes) => {
    // The root folder no entry declares takes the build's time on both roads.
    assertEquals(nodes.get(".")?.mtime, U32_MAX, where);
  });
});

Deno.test("SOURCE_DATE_EPOCH gives the same times on mksquashfs's road as on the native one: the layers' own, the build's for what sregistry adds", async () => {
  const epoch = 1_700_000_000;
  const entries: TarEntry[] = [
    { name: "d", type: "directory", mtime: 1_000_000 },
    { name: "d/f", content: "f", mtime: 1_000 },
  ];
  await pullOnEachRoad(String(epoch), entries, (where, nodes) => {
    // Before: mksquashfs's -all-time set every file to SOURCE_DATE_EPOCH.
    assertEquals(nodes.get("d/f")?.mtime, 1_000, `${where}: d/f`);
    assertEquals(nodes.get("d")?.mtime, 1_000_000, `${where}: d`);
    assertEquals(nodes.get(".singularity.d/runscript")?.mtime, epoch, `${where}: runscript`);
  });
});
