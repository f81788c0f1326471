/**
 * What Apptainer users already have set and type, end to end through the CLI
 * against the real registry: APPTAINER_CACHEDIR/TMPDIR/DISABLE_CACHE and their
 * SINGULARITY_ names, `pull OUT.sif REF`, `--arch`/`--arch-variant`, `--dir`,
 * `--disable-cache`, `--tmpdir`, `--authfile`, `-F`, and the schemes sregistry
 * does not pull.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { pushTwoArchIndex } from "../_multiarch.ts";
import { buildImage } from "../_images.ts";
import { exists } from "../_tree.ts";
import { pushImage, registryBinary, startRegistry } from "../_registry.ts";

const ignore = registryBinary() === undefined;
const HELLO = [{ entries: [{ name: "hello.txt", content: "hi\n" }] }];

/** The files below `dir`, relative, sorted. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string) => {
    for (const e of Deno.readDirSync(d)) {
      if (e.isDirectory) walk(`${d}/${e.name}`, `${prefix}${e.name}/`);
      else out.push(`${prefix}${e.name}`);
    }
  };
  if (exists(dir)) walk(dir, "");
  return out.sort();
}

async function siftoolList(path: string): Promise<string> {
  const out = await new Deno.Command("siftool", { args: ["list", path] }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

Deno.test({
  name: "sregistry pull puts the layer cache in APPTAINER_CACHEDIR, not the home folder",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    const image = await buildImage({ layers: HELLO });
    await pushImage(reg, "test/cachedir", "v1", image);
    const cacheDir = `${home.home}/scratch-cache`;
    const r = await home.run(["pull", `${reg.host}/test/cachedir:v1`], {
      env: { APPTAINER_CACHEDIR: cacheDir },
    });
    assertEquals(r.code, 0, r.stderr);
    const layer = image.layers[0].digest.slice("sha256:".length);
    assert(exists(`${cacheDir}/oci/blobs/sha256/${layer}`), "the layer is in APPTAINER_CACHEDIR");
    assertEquals(filesUnder(`${home.home}/.singularity/oci`), [], "nothing cached in the home");
    assertEquals(r.stderr.includes("Note:"), false, r.stderr);

    // The older name still works, with Apptainer's note.
    const old = `${home.home}/old-cache`;
    const s = await home.run(["pull", "--force", `${reg.host}/test/cachedir:v1`], {
      env: { SINGULARITY_CACHEDIR: old },
    });
    assertEquals(s.code, 0, s.stderr);
    assert(exists(`${old}/oci/blobs/sha256/${layer}`));
    assertStringIncludes(
      s.stderr,
      "Note: Environment variable SINGULARITY_CACHEDIR is set, but APPTAINER_CACHEDIR is preferred",
    );
  },
});

Deno.test({
  name: "sregistry pull OUT.sif REF, --dir, -F and --disable-cache write where apptainer would",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    await pushImage(reg, "test/forms", "v1", await buildImage({ layers: HELLO }));
    const ref = `${reg.host}/test/forms:v1`;

    const out = `${home.home}/out.sif`;
    const positional = await home.run(["pull", out, ref]);
    assertEquals(positional.code, 0, positional.stderr);
    assertEquals(positional.stdout.trim(), out);
    assertStringIncludes(await siftoolList(out), "FS (Squashfs/*System/amd64)");
    const get = await home.run(["get", ref]);
    assertEquals(get.stdout.trim(), out, "the positional file is recorded like --name");
    // A relative OUT.sif is recorded as the absolute path it was written to.
    Deno.mkdirSync(`${home.home}/here`);
    const relative = await home.run(["pull", "-F", "rel.sif", ref], { cwd: `${home.home}/here` });
    assertEquals(relative.code, 0, relative.stderr);
    assertEquals(relative.stdout.trim(), `${home.home}/here/rel.sif`);
    assertEquals((await home.run(["get", ref])).stdout.trim(), `${home.home}/here/rel.sif`);

    Deno.mkdirSync(`${home.home}/images`);
    const dir = await home.run(["pull", "-F", "--dir", `${home.home}/images`, ref]);
    assertEquals(dir.code, 0, dir.stderr);
    assertEquals(dir.stdout.trim(), `${home.home}/images/forms_v1.sif`);
    await siftoolList(`${home.home}/images/forms_v1.sif`);
    const named = await home.run(["pull", "-F", "--dir", `${home.home}/images`, "x.sif", ref]);
    assertEquals(named.stdout.trim(), `${home.home}/images/x.sif`, named.stderr);

    // --disable-cache: no catalogue and no layer cache, as apptainer's flag.
    const work = `${home.home}/work`;
    Deno.mkdirSync(work);
    const disabled = await home.run(["pull", "--disable-cache", "--name", `${work}/d.sif`, ref], {
      env: { SREGISTRY_DATABASE: `${home.home}/db-disabled` },
    });
    assertEquals(disabled.code, 0, disabled.stderr);
    await siftoolList(`${work}/d.sif`);
    assertEquals(exists(`${home.home}/db-disabled/sregistry.db`), false, "no catalogue written");
    const viaEnv = await home.run(["pull", "--name", `${work}/e.sif`, ref], {
      env: {
        APPTAINER_DISABLE_CACHE: "true",
        APPTAINER_CACHEDIR: `${home.home}/unused-cache`,
        SREGISTRY_DATABASE: `${home.home}/db-disabled`,
      },
    });
    assertEquals(viaEnv.code, 0, viaEnv.stderr);
    await siftoolList(`${work}/e.sif`);
    assertEquals(filesUnder(`${home.home}/unused-cache`), [], "APPTAINER_DISABLE_CACHE: no blobs");
    assertEquals(exists(`${home.home}/db-disabled/sregistry.db`), false);
  },
});

Deno.test({
  name: "sregistry pull --arch/--arch-variant pick the platform; --tmpdir holds the work",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    await pushTwoArchIndex(reg, "test/arch");
    const tmp = `${home.home}/my-tmp`;
    Deno.mkdirSync(tmp);
    const sandbox = `${home.home}/sb`;
    const r = await home.run([
      "pull",
      "--arch",
      "arm64",
      "--arch-variant",
      "v8",
      "--tmpdir",
      tmp,
      "--sandbox",
      sandbox,
      `${reg.host}/test/arch`,
    ], { env: { SREGISTRY_TMPDIR: `${home.home}/not-here` } });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(Deno.readTextFileSync(`${sandbox}/arch`), "arm64\n");
    assertEquals(exists(`${home.home}/not-here`), false, "--tmpdir wins over SREGISTRY_TMPDIR");
    assertEquals([...Deno.readDirSync(tmp)], [], "nothing left in --tmpdir");

    const both = await home.run(["pull", "--arch", "arm64", "--platform", "linux/arm64", "x"]);
    assertEquals(both.code, 2);
    assertStringIncludes(both.stderr, "--platform and --arch both name the platform");
    const variantOnly = await home.run(["pull", "--arch-variant", "v8", "x"]);
    assertEquals(variantOnly.code, 2);
    assertStringIncludes(variantOnly.stderr, "--arch-variant needs --arch");
    const twice = await home.run(["pull", "--name", "a.sif", "b.sif", "busybox"]);
    assertEquals(twice.code, 2);
    assertStringIncludes(twice.stderr, "the output file is given twice");
  },
});

Deno.test("sregistry pull says what to use instead of library://, shub://, oras://, docker-daemon:", async () => {
  await using home = await cliHome();
  const cases = [
    { spec: "library://alpine:3.18", says: 'use "apptainer pull library://...' },
    { spec: "shub://vsoch/hello-world", says: "Singularity Hub, which is read-only" },
    { spec: "oras://ghcr.io/o/i:1", says: 'use "apptainer pull oras://..." or "oras pull"' },
    { spec: "docker-daemon:alpine:latest", says: "docker save IMAGE -o image.tar" },
    { spec: "https://ghcr.io/o/i:1", says: "without https://" },
    { spec: "ftp://x/y", says: "sregistry pulls docker://REF (or REF alone), nvidia://REF" },
  ];
  for (const c of cases) {
    const r = await home.run(["pull", c.spec]);
    assertEquals(r.code, 2, `${c.spec}: ${r.stderr}`);
    assertStringIncludes(r.stderr, `Cannot pull ${c.spec}: `, c.spec);
    assertStringIncludes(r.stderr, c.says, c.spec);
    assertEquals(r.stderr.includes("invalid reference format"), false, c.spec);
  }
});

Deno.test({
  name: "sregistry pull --authfile reads credentials from that file; -F rebuilds",
  ignore,
  async fn() {
    const hash = await new Deno.Command("htpasswd", { args: ["-nbB", "bob", "pw-Auth-file1"] })
      .output();
    await using reg = await startRegistry({ htpasswd: new TextDecoder().decode(hash.stdout) });
    await using home = await cliHome();
    const auth = { username: "bob", password: "pw-Auth-file1" };
    await pushImage(reg, "private/af", "v1", await buildImage({ layers: HELLO }), auth);
    const ref = `${reg.host}/private/af:v1`;
    const denied = await home.run(["pull", ref]);
    assertEquals(denied.code, 1, "anonymous pulls are refused");
    const file = `${home.home}/auth.json`;
    Deno.writeTextFileSync(
      file,
      JSON.stringify({ auths: { [reg.host]: { auth: btoa("bob:pw-Auth-file1") } } }),
    );
    const r = await home.run(["pull", "--authfile", file, ref]);
    assertEquals(r.code, 0, r.stderr);
    const path = r.stdout.trim();
    const before = Deno.statSync(path).mtime!.getTime();
    await new Promise((ok) => setTimeout(ok, 20));
    const again = await home.run(["pull", "-F", "--authfile", file, ref]);
    assertEquals(again.code, 0, again.stderr);
    assert(Deno.statSync(path).mtime!.getTime() > before, "-F rebuilt the image");
    const missing = await home.run(["pull", "--authfile", `${home.home}/nope.json`, ref]);
    assertEquals(missing.code, 1);
    assertStringIncludes(missing.stderr, "fix --authfile");
  },
});
