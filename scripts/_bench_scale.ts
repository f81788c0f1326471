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

/**
 * A tar holding `count` small files (20 to 400 bytes of text each), 1,000 per
 * folder, as a stream: the many-files memory check (`deno task bench --files N`).
 */
function filesTarStream(count: number): ReadableStream<Uint8Array> {
  let i = 0;
  const perFolder = 1000;
  const text = new TextEncoder();
  return new ReadableStream({
    pull(controller) {
      if (i >= count) {
        controller.enqueue(new Uint8Array(1024));
        controller.close();
        return;
      }
      const parts: Uint8Array[] = [];
      for (let n = 0; n < 500 && i < count; n++, i++) {
        const folder = `f/d${Math.floor(i / perFolder)}`;
        if (i % perFolder === 0) {
          parts.push(rawHeader({ name: `${folder}/`, typeflag: "5", mode: 0o755 }));
        }
        const body = text.encode(`file ${i} `.repeat(2 + (i % 40)));
        parts.push(rawHeader({ name: `${folder}/file${i}.txt`, typeflag: "0", size: body.length }));
        const padded = new Uint8Array(Math.ceil(body.length / 512) * 512);
        padded.set(body);
        parts.push(padded);
      }
      const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      controller.enqueue(out);
    },
  });
}

/** Uploads `tar` as a gzip layer with a streamed PATCH; returns its descriptor and diff ID. */
async function pushStreamedLayer(
  reg: TestRegistry,
  repo: string,
  tarBytes: ReadableStream<Uint8Array>,
) {
  const hash = createHash("sha256");
  const diff = createHash("sha256");
  let length = 0;
  const gz = createGzip({ level: 1 });
  const tar = tarBytes.pipeThrough(
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

/** Pushes a one-layer image of `size` bytes as `repo:tag`; returns the layer's compressed size. */
export function pushScaleImage(
  reg: TestRegistry,
  repo: string,
  tag: string,
  size: number,
): Promise<number> {
  return pushOneLayer(reg, repo, tag, tarStream(size));
}

/** Pushes a one-layer image of `count` small files as `repo:tag`; returns the layer's size. */
export function pushManyFilesImage(
  reg: TestRegistry,
  repo: string,
  tag: string,
  count: number,
): Promise<number> {
  return pushOneLayer(reg, repo, tag, filesTarStream(count));
}

async function pushOneLayer(
  reg: TestRegistry,
  repo: string,
  tag: string,
  tar: ReadableStream<Uint8Array>,
): Promise<number> {
  const { layer, diffId } = await pushStreamedLayer(reg, repo, tar);
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
