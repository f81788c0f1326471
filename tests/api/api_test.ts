/**
 * The scripting API in-process against the real registry: `pull`, `images`,
 * `get`, `inspect` and `rm` read the same settings file, variables and paths
 * as the CLI, and what one writes the other reads.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { buildImage } from "../_images.ts";
import { exists } from "../_tree.ts";
import { pushImage, pushSmallImage, registryBinary, startRegistry } from "../_registry.ts";
import { get, images, inspect, pull, rm, Session, SregistryError, UsageError } from "../../mod.ts";
import type { PullEvent } from "../../mod.ts";

const ignore = registryBinary() === undefined;

Deno.test({
  name: "pull(), images(), get(), inspect(), rm() share the CLI's settings and catalogue",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    const image = await buildImage({
      layers: [{ entries: [{ name: "hello.txt", content: "hi\n" }] }],
    });
    await pushImage(reg, "test/api", "v1", image);
    const ref = `${reg.host}/test/api:v1`;
    // Storage comes from the settings file, as the CLI reads it; the cache from APPTAINER_CACHEDIR.
    const storage = `${home.home}/from-settings-file`;
    Deno.writeTextFileSync(
      `${home.home}/.sregistry`,
      JSON.stringify({ docker: { SREGISTRY_STORAGE: storage } }),
      { mode: 0o600 },
    );
    const env = { ...home.env, APPTAINER_CACHEDIR: `${home.home}/cache` };

    const events: PullEvent[] = [];
    const pulled = await pull(ref, { env, onEvent: (e) => events.push(e) });
    assertEquals(pulled.reused, false);
    assertEquals(pulled.path, `${storage}/${reg.host}/test/api/v1@${image.manifest.digest}.sif`);
    assert(events.some((e) => e.kind === "resolved"), "progress events reach the script");
    assert(exists(`${home.home}/cache/oci/blobs/${image.layers[0].digest.replace(":", "/")}`));
    const list = await new Deno.Command("siftool", { args: ["list", pulled.path] }).output();
    assertStringIncludes(new TextDecoder().decode(list.stdout), "FS (Squashfs/*System/amd64)");

    // The CLI sees what the API wrote.
    const cliGet = await home.run(["get", ref], { env });
    assertEquals(cliGet.stdout.trim(), pulled.path, cliGet.stderr);

    assertEquals(await get(ref, { env }), pulled.path);
    const record = await inspect(ref, { env });
    assertEquals(record.manifestDigest, image.manifest.digest);
    assertEquals((await images("api", { env })).map((r) => r.image), [pulled.path]);
    assertEquals(await images("nothing-like-it", { env }), []);

    // A shared session: one catalogue for several calls; a warm pull reuses the file.
    {
      using session = new Session({ env });
      // images() opens the catalogue read-only; the pull after it may still write.
      assertEquals((await images([], { session })).length, 1);
      const again = await pull(ref, { session, force: true });
      assertEquals(again.reused, false);
      assertEquals(again.path, pulled.path);
      assertEquals(await get(String(record.id), { session }), pulled.path, "an ID from images");
    }

    const removed = await rm(ref, { env });
    assertEquals(removed.image, pulled.path);
    assertEquals(exists(pulled.path), false);
    await assertRejects(() => get(ref, { env }), SregistryError, "no such image in the catalogue");
    await assertRejects(() => pull("library://alpine", { env }), UsageError, "apptainer pull");
  },
});

Deno.test({
  name: "get() fails when the SIF file is gone",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    const ref = await pushSmallImage(reg, "test/gone");
    const { path } = await pull(ref, { env: home.env });
    Deno.removeSync(path);
    await assertRejects(() => get(ref, { env: home.env }), SregistryError, "is gone");
  },
});
