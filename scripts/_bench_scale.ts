/**
 * The scale part of the benchmark (`deno task bench --size MB`): single-layer
 * images of growing size, generated and uploaded as streams (never whole in
 * memory), each pulled cold to a SIF; prints time, throughput and peak memory
 * per size, to check that time grows linearly and memory stays bounded.
 * @module
 */
import { createHash } from "node:crypto";
import { createGzip } from "node:zlib";
import { Readable } from "node:stream";
import { blob, MEDIA } from "../tests/_images.ts";
import { rawHeader } from "../tests/_tar.ts";
import { pushBlob, pushManifest, type TestRegistry } from "../tests/_registry.ts";

/** A tar holding one file of `size` pseudo-random, half-compressible bytes, as a stream. */
function tarStream(size: number): ReadableStream<Uint8Array> {
  let sent = 0;
  let x = 12345;
  const chunk = 1 << 20;
  return new ReadableStream({
    start(controller) {
      controller.enqueue(rawHeader({ name: "data.bin", typeflag: "0", size }));
    },
    pull(controller) {
      if (sent >= size) {
        const pad = (512 - (size % 512)) % 512;
        controller.enqueue(new Uint8Array(pad + 1024));
        controller.close();
        return;
      }
      const n = Math.min(chunk, size - sent);
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i += 2) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        out[i] = x & 0xff; // every other byte random: gzip halves it
      }
      sent += n;
      controller.enqueue(out);
    },
  });
}

/** Uploads a gzip layer of a `size`-byte file with a streamed PATCH; returns its descriptor. */
async function pushStreamedLayer(reg: TestRegistry, repo: string, size: number) {
  const hash = createHash("sha256");
  const diff = createHash("sha256");
  let length = 0;
  const gz = createGzip({ level: 1 });
  const tar = tarStream(size).pipeThrough(
    new TransformStream({
      transform(c, ctl) {
        diff.update(c);
        ctl.enqueue(c);
      },
    }),
  );
  const compressed =
    (Readable.toWeb(Readable.fromWeb(tar as never).pipe(gz)) as ReadableStream<Uint8Array>)
      .pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(c, ctl) {
            hash.update(c);
            length += c.length;
            ctl.enqueue(c);
          },
        }),
      );
  const start = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: "POST" });
  await start.body?.cancel();
  const patch = await fetch(new URL(start.headers.get("location")!, reg.url), {
    method: "PATCH",
    headers: { "Content-Type": "application/octet-stream" },
    body: compressed,
    duplex: "half",
  } as RequestInit);
  await patch.body?.cancel();
  const digest = "sha256:" + hash.digest("hex");
  const put = new URL(patch.headers.get("location")!, reg.url);
  put.searchParams.set("digest", digest);
  const done = await fetch(put, { method: "PUT" });
  await done.body?.cancel();
  if (done.status !== 201) throw new Error(`streamed upload failed: ${done.status}`);
  return {
    layer: { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest, size: length },
    diffId: "sha256:" + diff.digest("hex"),
  };
}

/** Pushes a one-layer image of `size` bytes as `repo:tag`. */
export async function pushScaleImage(
  reg: TestRegistry,
  repo: string,
  tag: string,
  size: number,
): Promise<number> {
  const { layer, diffId } = await pushStreamedLayer(reg, repo, size);
  const config = blob(MEDIA.ociConfig, {
    architecture: "amd64",
    os: "linux",
    config: {},
    rootfs: { type: "layers", diff_ids: [diffId] },
  });
  await pushBlob(reg, repo, config);
  const manifest = blob(MEDIA.ociManifest, {
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: [layer],
  });
  await pushManifest(reg, repo, tag, manifest);
  return layer.size;
}
