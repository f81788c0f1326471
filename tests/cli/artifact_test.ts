/**
 * OCI artifacts on a registry (a Helm chart, an artifact with the empty
 * config, an image-shaped manifest whose layer is a Helm chart): before,
 * "$.architecture is missing …: the image is malformed", or the chart's
 * tar.gz unpacked as a layer. Now "REF is not a container image (its config
 * is X)", exit 1, before any layer is downloaded. The real registry.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { blob, buildImage, gzip, MEDIA } from "../_images.ts";
import { pushBlob, pushManifest, startRegistry } from "../_registry.ts";

const HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json";
const HELM_CHART = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
const EMPTY = "application/vnd.oci.empty.v1+json";

Deno.test("sregistry pull refuses OCI artifacts, naming what they are", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const image = await buildImage({
    layers: [{ entries: [{ name: "Chart.yaml", content: "x\n" }] }],
  });
  const chart = { ...blob(HELM_CHART, await gzip(image.tars[0])) };
  const helmConfig = blob(HELM_CONFIG, { name: "demo", version: "0.1.0", apiVersion: "v2" });
  const empty = { ...blob(EMPTY, new TextEncoder().encode("{}")) };
  for (const b of [chart, helmConfig, empty, image.config]) await pushBlob(reg, "t/art", b);
  const desc = (b: { mediaType: string; digest: string; size: number }) => ({
    mediaType: b.mediaType,
    digest: b.digest,
    size: b.size,
  });
  const manifest = (config: unknown, layers: unknown[], extra = {}) =>
    blob(MEDIA.ociManifest, {
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      ...extra,
      config,
      layers,
    });
  const cases: [string, unknown, unknown[], string, object?][] = [
    ["helm", desc(helmConfig), [desc(chart)], `its config is ${HELM_CONFIG}: a Helm chart`],
    ["empty", desc(empty), [desc(chart)], `its config is ${EMPTY}`, {
      artifactType: "application/vnd.example.thing",
    }],
    ["layer", desc(image.config), [desc(chart)], `its layer 1 is ${HELM_CHART}`],
  ];
  for (const [tag, config, layers, says, extra] of cases) {
    await pushManifest(reg, "t/art", tag, manifest(config, layers, extra));
    const ref = `${reg.host}/t/art:${tag}`;
    const res = await home.run(["pull", "--no-https", ref], { cwd: home.home });
    assertEquals(res.code, 1, res.stderr);
    assertStringIncludes(
      res.stderr,
      `Cannot pull ${ref}: ${ref} is not a container image (${says}`,
    );
    assert(!res.stderr.includes("malformed"), res.stderr);
  }
  assertStringIncludes(
    (await home.run(["pull", "--no-https", `${reg.host}/t/art:helm`])).stderr,
    `helm pull oci://${reg.host}/t/art:helm`,
  );
  const chartGets = (await reg.requests()).filter((r) => r.path.endsWith(chart.digest));
  assertEquals(chartGets, []);
  assertEquals(JSON.parse((await home.run(["images", "--json"])).stdout), []);
});
