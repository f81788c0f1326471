/**
 * The extractor as an unprivileged user (uid 65534 through setpriv, when the
 * tests run as root): read-only and closed directories, 0000 files, devices
 * skipped with one summary line, and a sandbox its owner can rm -rf.
 */
import { assertEquals } from "../_assert.ts";
import { buildTar } from "../_tar.ts";
import { snapshotTree } from "../_tree.ts";

const isRoot = Deno.uid() === 0;
const NOBODY = 65534;

const layers = [
  buildTar([
    { name: "ro", type: "directory", mode: 0o555 },
    { name: "ro/file", content: "read-only dir", mode: 0o444 },
    { name: "ro/sub", type: "directory", mode: 0o500 },
    { name: "ro/sub/deep", content: "deeper" },
    { name: "closed", type: "directory", mode: 0 },
    { name: "closed/file", content: "closed dir" },
    { name: "nothing", content: "mode 0000", mode: 0 },
    { name: "suid", content: "setuid", mode: 0o4755, uid: 0 },
    { name: "dev/null", type: "char", devmajor: 1, devminor: 3, mode: 0o666 },
    { name: "dev/sda", type: "block", devmajor: 8, devminor: 0 },
    { name: "run/fifo", type: "fifo" },
    { name: "caps", content: "x", pax: { "SCHILY.xattr.security.capability": "abc" } },
  ]),
  buildTar([
    { name: "ro/later", content: "written into a read-only dir by a later layer" },
    { name: "closed/.wh.file" },
  ]),
];

function run(cmd: string, args: string[]): Promise<Deno.CommandOutput> {
  return new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
}

Deno.test({
  name: "RootfsWriter without root keeps a deletable sandbox with the image's modes",
  ignore: !isRoot,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "sregistry-nonroot-" });
    try {
      await Deno.chmod(dir, 0o755);
      await Deno.chown(dir, NOBODY, NOBODY);
      const root = `${dir}/root`;
      await Deno.mkdir(root);
      await Deno.chown(root, NOBODY, NOBODY);
      const tars = [];
      for (const [i, t] of layers.entries()) {
        await Deno.writeFile(`${dir}/l${i}.tar`, t, { mode: 0o644 });
        tars.push(`${dir}/l${i}.tar`);
      }
      const script = new URL("./_unpack_cli.ts", import.meta.url).pathname;
      const out = await run("setpriv", [
        `--reuid=${NOBODY}`,
        `--regid=${NOBODY}`,
        "--clear-groups",
        "env",
        `DENO_DIR=${dir}/deno`,
        `HOME=${dir}`,
        Deno.execPath(),
        "run",
        "--no-check",
        "--allow-read",
        "--allow-write",
        "--allow-sys",
        "--allow-env",
        "--allow-ffi",
        script,
        root,
        ...tars,
      ]);
      const stderr = new TextDecoder().decode(out.stderr);
      assertEquals(out.success, true, stderr);
      const result = JSON.parse(new TextDecoder().decode(out.stdout));
      assertEquals(result.stats.map((s: { skippedDevices: number }) => s.skippedDevices), [3, 0]);
      assertEquals(result.warnings, [
        "3 device nodes and FIFOs skipped: creating them needs root",
        "1 extended attributes (SCHILY.xattr.*) not set on the unpacked folder (1 security.* (a value Linux refuses)); the default native builder keeps them in the SIF",
        "3 read-only directories kept owner-writable so the sandbox stays deletable",
      ]);
      const tree = await snapshotTree(root);
      const modes = Object.fromEntries([...tree].map(([p, e]) => [p, e.mode.toString(8)]));
      assertEquals(modes, {
        caps: "644",
        closed: "700",
        // the folders of the skipped device nodes and FIFO are in the image, so here too
        dev: "755",
        nothing: "0",
        ro: "755",
        "ro/file": "444",
        "ro/later": "644",
        "ro/sub": "700",
        "ro/sub/deep": "644",
        run: "755",
        suid: "4755",
      });
      assertEquals([...tree.values()].every((e) => e.uid === NOBODY), true);
      const rm = await run("setpriv", [
        `--reuid=${NOBODY}`,
        `--regid=${NOBODY}`,
        "--clear-groups",
        "rm",
        "-rf",
        root,
      ]);
      assertEquals(rm.success, true, new TextDecoder().decode(rm.stderr));
      assertEquals(await Deno.lstat(root).catch(() => "gone"), "gone");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
