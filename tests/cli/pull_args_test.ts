/**
 * `pull`'s arguments: two references (`pull $R/base/ok:v1 $R/t/zstd:v1`
 * wrote the second image into `./127.0.0.1:PORT/base/ok:v1`, exit 0), the
 * reversed order (`pull REF out.sif` asked Docker Hub for
 * `library/out.sif`), and flags that contradict each other (`--sandbox x
 * --keep-sandbox y` never made `y`; `--sandbox sb --name foo.sif` made no
 * SIF): each now a usage error, exit 2, before anything is fetched or written.
 */
import { assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { buildImage } from "../_images.ts";
import { pushImage, startRegistry } from "../_registry.ts";
import { looksLikeReference } from "../../src/cli/pull_args.ts";

/** Entries of a folder, recursively, as relative paths. */
function listing(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    out.push(prefix + e.name);
    if (e.isDirectory) out.push(...listing(`${dir}/${e.name}`, `${prefix}${e.name}/`));
  }
  return out.sort();
}

Deno.test("sregistry pull refuses two references and the reversed order, writing nothing", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const image = await buildImage({ layers: [{ entries: [{ name: "f", content: "x\n" }] }] });
  await pushImage(reg, "base/ok", "v1", image);
  await pushImage(reg, "t/zstd", "v1", image);
  const cwd = await Deno.makeTempDir({ dir: home.home });
  const cases: [string[], string][] = [
    [[`${reg.host}/base/ok:v1`, `${reg.host}/t/zstd:v1`], "looks like an image reference"],
    [["busybox:latest", `${reg.host}/t/zstd:v1`], "sregistry pull OUT.sif REF"],
    [[`${reg.host}/t/zstd:v1`, "out.sif"], `sregistry pull out.sif ${reg.host}/t/zstd:v1`],
    [[`docker://${reg.host}/t/zstd:v1`, "out.simg"], "the output file comes first"],
    [["out.sif"], "out.sif names an output file, and no reference follows"],
  ];
  for (const [args, says] of cases) {
    const res = await home.run(["pull", "--no-https", ...args], { cwd });
    assertEquals(res.code, 2, `${args.join(" ")}: ${res.stderr}`);
    assertStringIncludes(res.stderr, says);
    assertEquals(listing(cwd), [], args.join(" "));
  }
  // The apptainer order still works, a plain name too.
  for (const out of ["out.sif", "plain-name", `./${reg.host}-copy`]) {
    const res = await home.run(["pull", "--no-https", out, `${reg.host}/t/zstd:v1`], { cwd });
    assertEquals(res.code, 0, res.stderr);
    assertEquals(Deno.statSync(`${cwd}/${out}`).isFile, true, out);
  }
});

Deno.test("sregistry pull refuses flags that contradict each other, writing nothing", async () => {
  await using home = await cliHome();
  const cwd = await Deno.makeTempDir({ dir: home.home });
  const ref = "127.0.0.1:9/never/fetched:v1";
  const cases: [string[], string][] = [
    [["--sandbox", "x", "--keep-sandbox", "y"], "--sandbox x and --keep-sandbox y"],
    [["--sandbox", "sb2", "--name", "foo.sif"], "--sandbox sb2 and --name foo.sif"],
    [["--sandbox", "sb", "--dir", "d"], "--sandbox sb and --dir d"],
    [["--sandbox", "sb", "--builder", "mksquashfs"], "--sandbox sb and --builder mksquashfs"],
    [["--sandbox", "sb", "--compression", "zstd"], "--sandbox sb and --compression zstd"],
    [["--sandbox", "sb", "--sudo"], "--sandbox sb and --sudo"],
    [["--sudo"], "--sudo and --builder auto"],
    [["--dir", "d", "--name", "/tmp/abs.sif"], "--dir d and --name /tmp/abs.sif"],
    [["--offline", "--disable-cache"], "--offline and --disable-cache"],
    [["--reference", "my/name:1"], "--reference names a local source"],
  ];
  for (const [flags, says] of cases) {
    const res = await home.run(["pull", ...flags, ref], { cwd });
    assertEquals(res.code, 2, `${flags.join(" ")}: ${res.stderr}`);
    assertStringIncludes(res.stderr, says);
    assertEquals(listing(cwd), [], flags.join(" "));
  }
  const res = await home.run(["pull", "--sandbox", "sb", "out.sif", ref], { cwd });
  assertEquals(res.code, 2, res.stderr);
  assertStringIncludes(res.stderr, "--sandbox sb and the output file out.sif: ");
  assertStringIncludes(res.stderr, "use one of them");
});

Deno.test("looksLikeReference() tells references from output files", () => {
  for (
    const r of [
      "busybox:1",
      "ghcr.io/o/i",
      "host:5000/a",
      "localhost/a",
      "a@sha256:00",
      "docker://x",
      "oci:dir",
    ]
  ) {
    assertEquals(looksLikeReference(r), true, r);
  }
  for (const f of ["out.sif", "a/b", "./host:5000/a", "/abs/x:1", "dir/x.img", "name"]) {
    assertEquals(looksLikeReference(f), false, f);
  }
});

Deno.test("sregistry pull refuses a folder option that names a file, before any request", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const cwd = await Deno.makeTempDir({ dir: home.home });
  Deno.writeTextFileSync(`${cwd}/afile`, "mine\n");
  const ref = `${reg.host}/never/asked:v1`;
  const cases: [string[], string][] = [
    [["--dir", "afile"], "Cannot pull: --dir afile is a file, not a folder: give --dir a folder"],
    [["--dir", "afile/sub"], `--dir afile/sub: ${cwd}/afile is a file, not a folder`],
    [["--tmpdir", "afile"], "--tmpdir afile is a file, not a folder"],
    [["--sandbox", "afile"], "--sandbox afile is a file, not a folder"],
    [["--keep-sandbox", "afile/x"], `--keep-sandbox afile/x: ${cwd}/afile is a file`],
    [["--name", "afile/x.sif"], `--name afile/x.sif: ${cwd}/afile is a file, not a folder`],
    [["afile/x.sif"], `OUT afile/x.sif: ${cwd}/afile is a file, not a folder`],
  ];
  for (const [args, says] of cases) {
    const res = await home.run(["pull", "--no-https", ...args, ref], { cwd });
    assertEquals(res.code, 2, `${args.join(" ")}: ${res.stderr}`);
    assertStringIncludes(res.stderr, says);
    assertEquals(Deno.readTextFileSync(`${cwd}/afile`), "mine\n");
  }
  assertEquals(listing(cwd), ["afile"]);
  assertEquals((await reg.requests()).filter((r) => r.path.includes("never")), []);
});
