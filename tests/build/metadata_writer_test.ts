import { assertEquals, assertThrows } from "../_assert.ts";
import { resolveInRoot, writeMetadata } from "../../src/build/metadata_writer.ts";
import { singularityMetadata } from "../../src/build/metadata.ts";
import { SregistryError } from "../../src/errors.ts";

const META = singularityMetadata({
  config: { Cmd: ["sh"] },
  from: "x:1",
  arch: "amd64",
  created: "2024-01-01T00:00:00Z",
  baseDigest: "sha256:0",
});

async function tree(): Promise<{ base: string; root: string; outside: string }> {
  const base = await Deno.makeTempDir();
  await Deno.mkdir(`${base}/root`);
  await Deno.mkdir(`${base}/outside`);
  return { base, root: `${base}/root`, outside: `${base}/outside` };
}

function listing(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

Deno.test("resolveInRoot() follows links as a chroot would", async () => {
  const { base, root } = await tree();
  try {
    Deno.symlinkSync("/host/etc", `${root}/etc`);
    Deno.symlinkSync("../../../x", `${root}/up`);
    Deno.mkdirSync(`${root}/real`);
    Deno.symlinkSync("real", `${root}/rel`);
    assertEquals(resolveInRoot(root, "/etc/hosts", true), `${root}/host/etc/hosts`);
    assertEquals(resolveInRoot(root, "/up/y", true), `${root}/x/y`);
    assertEquals(resolveInRoot(root, "/rel", true), `${root}/real`);
    assertEquals(resolveInRoot(root, "/rel", false), `${root}/rel`);
    assertEquals(resolveInRoot(root, "/../../a", true), `${root}/a`);
    Deno.symlinkSync("loop", `${root}/loop`);
    assertThrows(() => resolveInRoot(root, "/loop/a", true), SregistryError);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("writeMetadata() never writes through links planted out of the rootfs", async () => {
  const { base, root, outside } = await tree();
  try {
    Deno.symlinkSync(outside, `${root}/etc`); // absolute, to a real host folder
    Deno.symlinkSync("../outside", `${root}/.singularity.d`); // relative escape
    Deno.symlinkSync(`${outside}/victim`, `${root}/tmp`); // loops back through /tmp inside
    Deno.mkdirSync(`${root}/var`);
    Deno.writeTextFileSync(`${outside}/hosts`, "host file");
    writeMetadata(root, META);
    assertEquals(listing(outside), ["hosts"]);
    assertEquals(Deno.readTextFileSync(`${outside}/hosts`), "host file");
    assertEquals(Deno.readTextFileSync(`${root}${outside}/hosts`), "");
    assertEquals(Deno.statSync(`${root}/outside/runscript`).mode! & 0o777, 0o755);
    assertEquals(Deno.readLinkSync(`${root}/singularity`), ".singularity.d/runscript");
    assertEquals(Deno.lstatSync(`${root}/tmp`).isDirectory, true);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("writeMetadata() replaces a link where a file goes and keeps existing links", async () => {
  const { base, root, outside } = await tree();
  try {
    Deno.mkdirSync(`${root}/etc`);
    Deno.writeTextFileSync(`${outside}/resolv`, "keep");
    Deno.symlinkSync(`${outside}/resolv`, `${root}/etc/resolv.conf`);
    Deno.symlinkSync("custom", `${root}/environment`);
    Deno.writeTextFileSync(`${root}/etc/hosts`, "127.0.0.1 image");
    Deno.chmodSync(`${root}/etc/hosts`, 0o400);
    writeMetadata(root, META);
    assertEquals(Deno.readTextFileSync(`${outside}/resolv`), "keep");
    assertEquals(Deno.lstatSync(`${root}/etc/resolv.conf`).isFile, true);
    assertEquals(Deno.readLinkSync(`${root}/environment`), "custom");
    assertEquals(Deno.readTextFileSync(`${root}/etc/hosts`), "");
    assertEquals(Deno.statSync(`${root}/etc/hosts`).mode! & 0o777, 0o644);
    for (const d of ["dev", "proc", "root", "var/tmp", "tmp", "sys", "home"]) {
      assertEquals(Deno.statSync(`${root}/${d}`).isDirectory, true, d);
    }
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
