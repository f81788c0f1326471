/**
 * A proxy in front of the real test registry that trickles the bytes of
 * chosen blobs, for the one thing a local registry cannot do: a transfer slow
 * enough for heartbeats. Everything else is the real registry's answer.
 * @module
 */

/** A running proxy: `host` goes in references. */
export interface SlowProxy extends AsyncDisposable {
  host: string;
}

/**
 * Starts a proxy to `upstream` (`http://127.0.0.1:<port>`) that sends the
 * blobs named in `slow` (digests) `chunk` bytes every `everyMs` milliseconds.
 */
export function startSlowProxy(
  upstream: string,
  slow: string[],
  options: { chunk?: number; everyMs?: number } = {},
): SlowProxy {
  const chunk = options.chunk ?? 64 * 1024;
  const everyMs = options.everyMs ?? 200;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const res = await fetch(`${upstream}${url.pathname}${url.search}`, {
      method: req.method,
      headers: req.headers,
      redirect: "manual",
    });
    const digest = url.pathname.match(/\/blobs\/(sha256:[0-9a-f]{64})$/)?.[1];
    if (req.method !== "GET" || !digest || !slow.includes(digest) || !res.body) return res;
    const bytes = new Uint8Array(await res.arrayBuffer());
    let offset = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (offset >= bytes.length) return c.close();
        await new Promise((r) => setTimeout(r, everyMs));
        c.enqueue(bytes.slice(offset, offset + chunk));
        offset += chunk;
      },
    });
    return new Response(body, { status: res.status, headers: res.headers });
  });
  const { port } = server.addr as Deno.NetAddr;
  return {
    host: `127.0.0.1:${port}`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}
