/**
 * Test helper: a web stream over bytes in memory, as the layer engine and the
 * pull steps read a blob.
 * @module
 */

/** A web stream over bytes, in chunks of `chunk` bytes. */
export function streamOf(bytes: Uint8Array, chunk = 65536): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
}
