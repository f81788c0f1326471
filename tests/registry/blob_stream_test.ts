/**
 * verifiedBlobStream(): a download its reader cancels stops there; it is not
 * resumed in the background.
 */
import { assertEquals } from "../_assert.ts";
import { verifiedBlobStream } from "../../src/registry/_blob_stream.ts";

Deno.test("verifiedBlobStream() cancelled mid-body opens no new request and reports no resume", async () => {
  let opened = 0;
  const resumes: string[] = [];
  const stream = verifiedBlobStream({
    open: () => {
      opened++;
      let sent = false;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (!sent) controller.enqueue(new Uint8Array(10));
          sent = true;
          return new Promise(() => {}); // the rest never comes
        },
      });
      return Promise.resolve(new Response(body));
    },
    digest: `sha256:${"0".repeat(64)}`,
    size: 1000,
    what: "layer",
    onResume: (i) => resumes.push(i.reason),
    sleep: () => Promise.resolve(),
  });
  const reader = stream.getReader();
  assertEquals((await reader.read()).value?.length, 10);
  const pending = reader.read();
  await new Promise((r) => setTimeout(r, 10));
  await reader.cancel(new Error("another layer failed"));
  await pending;
  await new Promise((r) => setTimeout(r, 50));
  assertEquals({ opened, resumes }, { opened: 1, resumes: [] });
});
