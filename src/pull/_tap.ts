/**
 * A second reader of a download's bytes (the layer engine applying a
 * layer while it arrives), without unbounded buffering: unlike
 * `ReadableStream.tee()`, the download waits while the copy holds `limit`
 * unread chunks. A cancelled copy is dropped and the download goes on; a
 * failed download fails the copy. Until a reader claims the copy (`keep`),
 * a full copy is dropped rather than holding the download: the layer engine
 * applies layers in order, so it reads a layer's copy only once the layers
 * below are applied, and the other downloads must not wait for that.
 * @module
 */

/**
 * `stream` passed through, and a copy of its chunks for a reader that keeps
 * up. `keep()` says whether the copy has a reader yet (default: always);
 * `dropped()` whether the copy was given up (its reader must use the cache).
 */
export function tapStream(
  stream: ReadableStream<Uint8Array>,
  limit = 8,
  keep: () => boolean = () => true,
): {
  stream: ReadableStream<Uint8Array>;
  copy: ReadableStream<Uint8Array>;
  dropped: () => boolean;
} {
  const reader = stream.getReader();
  let copyController!: ReadableStreamDefaultController<Uint8Array>;
  let dropped = false;
  let room: (() => void) | undefined;
  const wake = () => {
    room?.();
    room = undefined;
  };
  const copy = new ReadableStream<Uint8Array>({
    start: (controller) => void (copyController = controller),
    pull: wake,
    cancel: () => {
      dropped = true;
      wake();
    },
  }, new CountQueuingStrategy({ highWaterMark: limit }));
  reader.closed.then(wake, wake);
  const failCopy = (reason: unknown) => {
    if (dropped) return;
    dropped = true;
    copyController.error(reason);
  };
  const main = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (e) {
        failCopy(e);
        throw e;
      }
      if (result.done) {
        controller.close();
        if (!dropped) copyController.close();
        dropped = true;
        return;
      }
      controller.enqueue(result.value);
      if (dropped) return;
      copyController.enqueue(result.value);
      if ((copyController.desiredSize ?? 1) > 0) return;
      if (!keep()) return failCopy(new Error("the copy was not read in time"));
      // Wait for the copy's reader, or for the download to end (then the next read says how).
      await new Promise<void>((r) => (room = r));
    },
    cancel(reason) {
      failCopy(reason ?? new Error("the download stopped"));
      return reader.cancel(reason);
    },
  });
  return { stream: main, copy, dropped: () => dropped };
}
