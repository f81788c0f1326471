/**
 * The digest `images` shows works in `get`, `inspect` and `rm` even when its
 * first 12 hex digits are all decimal (about one digest in 280). Before, such
 * a prefix was taken as a row number only: "no such image in the catalogue".
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { blob, buildImage, MEDIA, sha256 } from "../_images.ts";
import { pushImage, startRegistry } from "../_registry.ts";

Deno.test("sregistry get, inspect and rm accept a digest prefix made only of decimal digits", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const image = await buildImage({ layers: [{ entries: [{ name: "a.txt", content: "a\n" }] }] });
  const body = JSON.parse(new TextDecoder().decode(image.manifest.bytes));
  // An annotation that makes the manifest digest start with 12 decimal digits.
  let manifest = image.manifest;
  for (let n = 0; !/^sha256:\d{12}/.test(manifest.digest); n++) {
    manifest = blob(MEDIA.ociManifest, { ...body, annotations: { n: String(n) } });
  }
  assertEquals(manifest.digest, sha256(manifest.bytes));
  await pushImage(reg, "test/digits", "v1", { ...image, manifest });
  const pulled = await home.run(["pull", `${reg.host}/test/digits:v1`]);
  assertEquals(pulled.code, 0, pulled.stderr);
  const path = pulled.stdout.trim();

  const shown = manifest.digest.slice(7, 19);
  const table = await home.run(["images"]);
  assertStringIncludes(table.stdout, ` ${shown} `);
  const got = await home.run(["get", shown]);
  assertEquals(got.code, 0, got.stderr);
  assertEquals(got.stdout.trim(), path);
  const inspected = await home.run(["inspect", shown]);
  assertEquals(inspected.code, 0, inspected.stderr);
  assertEquals(JSON.parse(inspected.stdout).manifestDigest, manifest.digest);
  // The row number still wins where it exists.
  assertEquals((await home.run(["get", "1"])).stdout.trim(), path);

  const removed = await home.run(["rm", shown]);
  assertEquals(removed.code, 0, removed.stderr);
  let gone = false;
  try {
    Deno.statSync(path);
  } catch (e) {
    gone = e instanceof Deno.errors.NotFound;
  }
  assert(gone, `${path} is still there`);
});
