/**
 * A full disk (issue 6): a 2 MiB tmpfs as the temp folder, the blob cache or
 * the storage folder; pulling a bigger image fails with a clear message and
 * exit 1, leaves nothing half-written and no record, and the same pull works
 * once there is room. Needs root (mount); skipped otherwise.
 */
import { assertEquals, assertMatch } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import type { TarEntry } from "../_tar.ts";
import { exists } from "../_tree.ts";
import { pushImage, registryBinary, startRegistry } from "../_registry.ts";
import {
  checkInvariants,
  checkSif,
  dataLayer,
  type HomePaths,
  homePaths,
  imageOf,
} from "./_pull_env.ts";

function canMount(): boolean {
  if (Deno.uid() !== 0) return false;
  const dir = Deno.makeTempDirSync();
  try {
    const ok = new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir] })
      .outputSync().success;
    if (ok) new Deno.Command("umount", { args: [dir] }).outputSync();
    return ok;
  } catch {
    return false;
  } finally {
    Deno.removeSync(dir);
  }
}

const ignore = registryBinary() === undefined || !canMount();

function sh(cmd: string, args: string[]): void {
  const out = new Deno.Command(cmd, { args, stderr: "piped" }).outputSync();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** A tmpfs of `size` at a new folder, unmounted and removed on dispose. */
function smallDisk(size: string): { dir: string; grow(size: string): void } & Disposable {
  const dir = Deno.makeTempDirSync({ prefix: "sregistry-full-" });
  sh("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  return {
    dir,
    grow: (to) => sh("mount", ["-o", `remount,size=${to}`, dir]),
    [Symbol.dispose]: () => {
      sh("umount", [dir]);
      Deno.removeSync(dir);
    },
  };
}

const CASES: {
  variable: string;
  paths: (disk: string, home: string) => Partial<HomePaths>;
  args?: string[];
}[] = [
  // The native build writes nothing there; the folder road unpacks there.
  {
    variable: "SREGISTRY_TMPDIR",
    paths: (disk) => ({ tmp: disk }),
    args: ["--builder", "mksquashfs"],
  },
  { variable: "APPTAINER_CACHEDIR", paths: (disk) => ({ blobs: `${disk}/oci/blobs/sha256` }) },
  { variable: "SREGISTRY_STORAGE", paths: (disk) => ({ storage: disk }) },
];

for (const { variable, paths, args = [] } of CASES) {
  Deno.test({
    name:
      `sregistry pull with ${variable} on a full disk: clear error, exit 1, nothing corrupt, works with room`,
    ignore,
    async fn() {
      await using reg = await startRegistry();
      using disk = smallDisk("2m");
      await using home = await cliHome({ [variable]: disk.dir });
      const image = await imageOf(["a", "b", "c"].map((n) => dataLayer(n, 1024 * 1024)));
      await pushImage(reg, "test/big", "v1", image);
      const ref = `${reg.host}/test/big:v1`;
      const p = homePaths(home.home, paths(disk.dir, home.home));

      const full = await home.run(["pull", ...args, ref]);
      assertEquals(full.code, 1, full.stderr);
      const message = full.stderr.trim().split("\n").at(-1)!;
      assertMatch(message, /^Cannot .*: no space left on device/);
      assertMatch(
        message,
        new RegExp(`${disk.dir}.*free space there or set ${variable} to a folder with more room`),
      );
      assertEquals(checkInvariants(p, { clean: true }), [], "no record, no partial file");

      disk.grow("64m");
      const roomy = await home.run(["pull", ...args, ref]);
      assertEquals(roomy.code, 0, roomy.stderr);
      const records = checkInvariants(p, { clean: true });
      assertEquals(records.map((r) => r.image), [roomy.stdout.trim()]);
      await checkSif(roomy.stdout.trim(), ["data/a.bin", "data/b.bin", "data/c.bin"]);
    },
  });
}

Deno.test({
  name:
    "sregistry pull --sandbox and the folder builder go on past the size estimate (with a warning) and refuse only what cannot fit",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    using disk = smallDisk("30m");
    await using home = await cliHome({ SREGISTRY_TMPDIR: `${disk.dir}/tmp` });
    await Deno.mkdir(`${disk.dir}/tmp`);
    // 8 MB of random data: about 8 MB compressed, so estimated at 4x + 16 MB = 48 MB.
    await pushImage(reg, "test/fits", "v1", await imageOf([dataLayer("a", 8 * 1024 * 1024)]));
    const sandbox = `${disk.dir}/sb`;
    const pulled = await home.run(["pull", "--sandbox", sandbox, `${reg.host}/test/fits:v1`]);
    assertEquals(pulled.code, 0, pulled.stderr);
    assertMatch(pulled.stderr, /Warning: .* free and the image may need about \d+\.\d MB unpacked/);
    assertEquals(Deno.statSync(`${sandbox}/data/a.bin`).size, 8 * 1024 * 1024);
    Deno.removeSync(sandbox, { recursive: true });
    const built = await home.run(["pull", "--builder", "mksquashfs", `${reg.host}/test/fits:v1`]);
    assertEquals(built.code, 0, built.stderr);
    await checkSif(built.stdout.trim(), ["data/a.bin"]);

    // Compressed over the free space: refused before any download.
    await pushImage(reg, "test/big", "v1", await imageOf([dataLayer("b", 40 * 1024 * 1024)]));
    const big = await home.run(["pull", "--sandbox", sandbox, `${reg.host}/test/big:v1`]);
    assertEquals(big.code, 1, big.stderr);
    assertMatch(
      big.stderr,
      /no space left on device: it needs about 4\d\.\d MB and \d+\.\d MB are free/,
    );
    assertMatch(big.stderr, /give --sandbox a folder with more room/);
    assertEquals(exists(sandbox), false);

    // Small compressed, large unpacked: the real full disk stops it, the folder is removed.
    const zeros: TarEntry[] = [{ name: "z", content: new Uint8Array(64 * 1024 * 1024) }];
    await pushImage(reg, "test/zeros", "v1", await imageOf([zeros]));
    const full = await home.run(["pull", "--sandbox", sandbox, `${reg.host}/test/zeros:v1`]);
    assertEquals(full.code, 1, full.stderr);
    assertMatch(full.stderr, /no space left on device/);
    assertEquals(exists(sandbox), false);
  },
});
