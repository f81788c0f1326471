/**
 * Pieces of the integrity tests (issue 13): uncompressed layers for images
 * whose manifest and config disagree (built with imageOfBlobs of
 * tests/_images.ts), and a proxy in front of the test registry that counts
 * blob requests.
 * @module
 */
import { blob, type BuiltImage, sha256 } from "../_images.ts";
import { buildTar, type TarEntry } from "../_tar.ts";

/** An uncompressed layer (its bytes are its tar, so a changed byte changes a file silently). */
export function plainLayer(
  entries: TarEntry[],
): { layer: BuiltImage["layers"][0]; tar: Uint8Array } {
  const tar = buildTar(entries);
  return { layer: blob("application/vnd.oci.image.layer.v1.tar", tar), tar };
}

/** `sha256` of a tar, for diff IDs. */
export const diffIdOf = sha256;

/**
 * A proxy in front of `upstream` that counts GET requests for blobs, by
 * digest, and records their `Range` headers (`<digest> <range>`).
 */
export function countingProxy(
  upstream: string,
): { host: string; gets: Map<string, number>; ranges: string[] } & AsyncDisposable {
  const gets = new Map<string, number>();
  const ranges: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const url = new URL(req.url);
    const m = /\/blobs\/(sha256:[a-f0-9]{64})$/.exec(url.pathname);
    if (m && req.method === "GET") {
      gets.set(m[1], (gets.get(m[1]) ?? 0) + 1);
      const range = req.headers.get("range");
      if (range) ranges.push(`${m[1]} ${range}`);
    }
    return fetch(upstream + url.pathname + url.search, {
      method: req.method,
      headers: req.headers,
      redirect: "manual",
    });
  });
  return {
    host: `127.0.0.1:${server.addr.port}`,
    gets,
    ranges,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}
