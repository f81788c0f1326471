/**
 * tapStream(): the flattener reads a layer's bytes while the download writes
 * them to the cache, without the unbounded buffering of `tee()`.
 */
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { tapStream } from "../../src/pull/_tap.ts";

function chunks(n: number, fail?: Error): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i === n) return fail ? controller.error(fail) : controller.close();
      controller.enqueue(new Uint8Array([i++]));
    },
  });
}

async function all(stream: ReadableStream<Uint8Array>): Promise<number[]> {
  const out: number[] = [];
  for await (const chunk of stream) out.push(...chunk);
  return out;
}

/** True when `read` gives a chunk within `ms`. */
const chunkWithin = (read: Promise<ReadableStreamReadResult<Uint8Array>>, ms: number) =>
  Promise.race([
    read.then((r) => !r.done),
    new Promise<boolean>((r) => setTimeout(() => r(false), ms)),
  ]);

Deno.test("tapStream() gives the copy every byte the download reads", async () => {
  const { stream, copy } = tapStream(chunks(20));
  const [main, copied] = await Promise.all([all(stream), all(copy)]);
  assertEquals(main, [...Array(20).keys()]);
  assertEquals(copied, main);
});

Deno.test("tapStream() holds the download while the copy has `limit` unread chunks", async () => {
  const { stream } = tapStream(chunks(100), 2);
  const reader = stream.getReader();
  let read = 0;
  while (await chunkWithin(reader.read(), 100)) read++;
  assert(read <= 4, `the download ran ${read} chunks ahead of an unread copy`);
  await reader.cancel();
});

Deno.test("tapStream() lets the download finish when the copy's reader gives up", async () => {
  const { stream, copy } = tapStream(chunks(50), 2);
  await copy.cancel();
  assertEquals((await all(stream)).length, 50);
});

Deno.test("tapStream() fails the copy with the download's error", async () => {
  const failure = new Error("connection reset");
  const { stream, copy } = tapStream(chunks(5, failure));
  const copied = all(copy);
  await assertRejects(() => all(stream), Error, "connection reset");
  await assertRejects(() => copied, Error, "connection reset");
});

Deno.test("tapStream() fails the copy when the download is cancelled", async () => {
  const { stream, copy } = tapStream(chunks(50));
  const copied = all(copy);
  const reader = stream.getReader();
  await reader.read();
  await reader.cancel(new Error("disk full"));
  await assertRejects(() => copied, Error, "disk full");
});

Deno.test("tapStream() lets a stopped download end although nobody reads the copy", async () => {
  const stop = new AbortController();
  const source = chunks(100).pipeThrough(new TransformStream(), { signal: stop.signal });
  const { stream } = tapStream(source, 2);
  const reader = stream.getReader();
  await reader.read();
  await reader.read();
  const stuck = reader.read().then(() => reader.read()).then(() => reader.read());
  stop.abort(new Error("another layer failed"));
  await assertRejects(() => stuck, Error, "another layer failed");
});
