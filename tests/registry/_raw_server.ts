/**
 * Raw TCP servers for connection-level faults no HTTP server library makes:
 * accept and never answer, answer the headers then stall or trickle a byte
 * a second. Each connection runs `handle` with the request head already read.
 * @module
 */

/** One accepted connection, its request line and head read. */
export interface RawExchange {
  conn: Deno.Conn;
  /** `GET /v2/x/manifests/1 HTTP/1.1` */
  requestLine: string;
  /** Writes text to the connection; false once the peer has gone. */
  write(text: string | Uint8Array): Promise<boolean>;
}

/** A running raw server. */
export interface RawServer extends AsyncDisposable {
  /** `127.0.0.1:<port>` */
  host: string;
  port: number;
  /** Request lines seen, oldest first. */
  seen: string[];
  close(): Promise<void>;
}

async function readHead(conn: Deno.Conn): Promise<string> {
  const buf = new Uint8Array(16384);
  let text = "";
  while (!text.includes("\r\n\r\n")) {
    const n = await conn.read(buf);
    if (n === null) break;
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  return text;
}

/** Resolves after `ms`, or at once when `closed` fires. */
export function pause(ms: number, closed: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const id = setTimeout(resolve, ms);
    closed.addEventListener("abort", () => {
      clearTimeout(id);
      resolve();
    }, { once: true });
  });
}

/**
 * Starts a raw server on 127.0.0.1 (port 0 = any free port). `handle` gets
 * each exchange and a signal that fires when the server closes; the
 * connection is closed when `handle` returns or the server closes.
 */
export function rawServer(
  handle: (x: RawExchange, closed: AbortSignal) => Promise<void>,
  port = 0,
): RawServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  const closed = new AbortController();
  const conns = new Set<Deno.Conn>();
  const seen: string[] = [];
  const tasks: Promise<void>[] = [];
  const serve = async (conn: Deno.Conn) => {
    try {
      const head = await readHead(conn);
      const requestLine = head.split("\r\n")[0];
      seen.push(requestLine);
      const write = async (t: string | Uint8Array) => {
        try {
          await conn.write(typeof t === "string" ? new TextEncoder().encode(t) : t);
          return true;
        } catch {
          return false;
        }
      };
      await handle({ conn, requestLine, write }, closed.signal);
    } catch { /* the client went away */ }
    conns.delete(conn);
    try {
      conn.close();
    } catch { /* closed by close() */ }
  };
  const accepting = (async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      conns.add(conn);
      tasks.push(serve(conn));
    }
  })();
  const actual = (listener.addr as Deno.NetAddr).port;
  const close = async () => {
    if (closed.signal.aborted) return;
    closed.abort();
    listener.close();
    for (const c of conns) {
      try {
        c.close();
      } catch { /* already closed */ }
    }
    await accepting;
    await Promise.all(tasks);
  };
  return {
    host: `127.0.0.1:${actual}`,
    port: actual,
    seen,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Never answers; holds the connection until the server closes. */
export const silent = (_x: RawExchange, closed: AbortSignal): Promise<void> => pause(1e9, closed);

/**
 * Answers `status` with `headers` and a `length`-byte body announced, then
 * sends one byte per `everyMs` (a trickle), or nothing at all when `everyMs`
 * is 0 (a stall).
 */
export function trickle(
  status: string,
  headers: Record<string, string>,
  length: number,
  everyMs: number,
): (x: RawExchange, closed: AbortSignal) => Promise<void> {
  return async (x, closed) => {
    const head = Object.entries({ ...headers, "content-length": String(length) })
      .map(([k, v]) => `${k}: ${v}\r\n`).join("");
    if (!await x.write(`HTTP/1.1 ${status}\r\n${head}\r\n`)) return;
    for (let i = 0; i < length && !closed.aborted; i++) {
      if (everyMs === 0) return await pause(1e9, closed);
      await pause(everyMs, closed);
      if (!await x.write(" ")) return;
    }
  };
}
