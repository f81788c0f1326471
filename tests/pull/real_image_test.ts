/**
 * A real distribution image, pulled natively, read back by the four readers
 * and compared with umoci's unpacking. The image is big (about 1.2 GB and
 * 43,500 files for the Debian image `scripts/debian_image.sh` builds), so the
 * test runs only when `SREGISTRY_REAL_IMAGE` names an OCI layout and tag
 * (`/path/oci:sci`); otherwise it is skipped.
 *
 *   scripts/debian_image.sh /tmp/real && SREGISTRY_REAL_IMAGE=/tmp/real/oci:sci \
 *     deno test -A tests/pull/real_image_test.ts
 */
import { assert, assertEquals } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { umociUnpack } from "../_oci_layout.ts";
import { startRegistry } from "../_registry.ts";
import { diffListings, readAll, walkTree } from "../_readers.ts";
import { distributionPart, partitionOffset, run } from "./_sif_image.ts";

const REAL = Deno.env.get("SREGISTRY_REAL_IMAGE");

Deno.test({
  name: "a real distribution image: the four readers give umoci's tree",
  ignore: !REAL,
  fn: async () => {
    const split = REAL!.lastIndexOf(":");
    const [layout, tag] = [REAL!.slice(0, split), REAL!.slice(split + 1)];
    await using reg = await startRegistry();
    await using home = await cliHome();
    await run("skopeo", [
      "copy",
      "--quiet",
      "--dest-tls-verify=false",
      `oci:${layout}:${tag}`,
      `docker://${reg.host}/real/image:${tag}`,
    ]);
    const pulled = await home.run(["pull", `${reg.host}/real/image:${tag}`]);
    assertEquals(pulled.code, 0, pulled.stderr);
    const sif = pulled.stdout.trim();
    const umoci = distributionPart(
      await walkTree(await umociUnpack(layout, tag, `${home.home}/umoci`)),
    );
    const readers = await readAll(sif, { offset: await partitionOffset(sif) });
    assert(readers.size >= 2, `only ${[...readers.keys()]} could read the image`);
    for (const [reader, listing] of readers) {
      assertEquals(
        diffListings(umoci, distributionPart(listing), ["umoci", reader]).slice(0, 20),
        [],
        reader,
      );
    }
  },
});
