/**
 * Writes a test image as an OCI image layout on disk and unpacks it with
 * `umoci raw unpack`, the reference unpacker the extractor is compared with.
 * @module
 */
import { join } from "node:path";
import { blob, type BuiltImage, gzip } from "./_images.ts";

async function writeBlob(dir: string, b: { digest: string; bytes: Uint8Array }): Promise<void> {
  const [algorithm, hex] = b.digest.split(":");
  await Deno.mkdir(join(dir, "blobs", algorithm), { recursive: true });
  await Deno.writeFile(join(dir, "blobs", algorithm, hex), b.bytes);
}

async function withoutZstd(image: BuiltImage): Promise<BuiltImage> {
  if (!image.layers.some((l) => l.mediaType.endsWith("+zstd"))) return image;
  const layers = await Promise.all(
    image.layers.map(async (l, i) =>
      l.mediaType.endsWith("+zstd")
        ? blob(l.mediaType.replace(/\+zstd$/, "+gzip"), await gzip(image.tars[i]))
        : l
    ),
  );
  const manifest = JSON.parse(new TextDecoder().decode(image.manifest.bytes));
  manifest.layers = layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size }));
  return { ...image, layers, manifest: blob(image.manifest.mediaType, manifest) };
}

/**
 * Writes `image` as an OCI image layout in `dir` (created if missing):
 * `oci-layout`, `index.json` naming the manifest with the
 * `org.opencontainers.image.ref.name` annotation `tag`, and every blob under
 * `blobs/sha256/`. An existing `index.json` keeps its other tags.
 *
 * umoci 0.4 cannot read zstd layers, so zstd layers are re-compressed with
 * gzip and the manifest rewritten accordingly (same diff_ids, same tree).
 */
export async function writeOciLayout(
  dir: string,
  image: BuiltImage,
  tag = "latest",
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    join(dir, "oci-layout"),
    JSON.stringify({ imageLayoutVersion: "1.0.0" }),
  );
  image = await withoutZstd(image);
  for (const b of [image.manifest, image.config, ...image.layers]) await writeBlob(dir, b);
  const indexPath = join(dir, "index.json");
  let manifests: { annotations?: Record<string, string> }[] = [];
  try {
    manifests = JSON.parse(await Deno.readTextFile(indexPath)).manifests ?? [];
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  manifests = manifests.filter((m) => m.annotations?.["org.opencontainers.image.ref.name"] !== tag);
  manifests.push({
    mediaType: image.manifest.mediaType,
    digest: image.manifest.digest,
    size: image.manifest.size,
    annotations: { "org.opencontainers.image.ref.name": tag },
  } as { annotations: Record<string, string> });
  await Deno.writeTextFile(
    indexPath,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests,
    }),
  );
}

/**
 * Unpacks `layoutDir:tag` with `umoci raw unpack` into `outDir` (which must not
 * exist yet) and returns the root filesystem path (`outDir` itself). Adds
 * `--rootless` when not running as root. Throws with umoci's stderr on failure.
 */
export async function umociUnpack(layoutDir: string, tag: string, outDir: string): Promise<string> {
  const args = ["raw", "unpack"];
  if (Deno.uid() !== 0) args.push("--rootless");
  args.push("--image", `${layoutDir}:${tag}`, outDir);
  const out = await new Deno.Command("umoci", { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(
      `umoci ${args.join(" ")} failed (${out.code}): ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return outDir;
}
