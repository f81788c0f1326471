/**
 * SREGISTRY_DOCKERHUB_NOHTTPS means plain http for the Docker Hub host (and
 * for registries on the loopback interface), never for other registries:
 * their credentials must not travel in clear. The CLI cases listen on a
 * non-loopback address of this machine and look at the first bytes a pull
 * sends: a TLS handshake (0x16) or an HTTP request line in clear.
 */
import { isLoopbackHost, plainHttpPolicy } from "../../src/registry/plain_http.ts";
import { assert, assertEquals } from "../_assert.ts";
import { cliHome } from "../_cli.ts";

Deno.test("isLoopbackHost() knows localhost, 127.0.0.0/8 and [::1], with or without a port, and nothing else", () => {
  const yes = ["localhost", "LOCALHOST:5000", "127.0.0.1", "127.1.2.3:80", "[::1]", "[::1]:5000"];
  const no = [
    "128.0.0.1",
    "localhost.example.org",
    "127.0.0.1.nip.io",
    "[::2]:5000",
    "10.0.0.1:5000",
    "registry-1.docker.io",
    "1127.0.0.1",
  ];
  for (const h of yes) assert(isLoopbackHost(h), h);
  for (const h of no) assert(!isLoopbackHost(h), h);
});

Deno.test("plainHttpPolicy(): --no-https covers every registry, SREGISTRY_DOCKERHUB_NOHTTPS only the hub and loopback", () => {
  const isHub = (d: string) => d === "docker.io" || d === "hub.example.org";
  const hubOnly = plainHttpPolicy({ hubNoHttps: true, isHub });
  assertEquals(
    ["docker.io", "hub.example.org", "ghcr.io", "10.0.0.1:5000", "127.0.0.1:5000"].map(hubOnly),
    [true, true, false, false, true],
  );
  const flag = plainHttpPolicy({ noHttps: true, isHub });
  assert(flag("ghcr.io") && flag("docker.io"));
  const none = plainHttpPolicy({ isHub });
  assert(!none("docker.io") && !none("127.0.0.1:5000"));
});

/** An IPv4 address of this machine that is not loopback, if any. */
function outsideAddress(): string | undefined {
  return Deno.networkInterfaces().find((i) => i.family === "IPv4" && !i.address.startsWith("127."))
    ?.address;
}

/**
 * Listens on `hostname`; for each connection records the first bytes, and
 * answers a request in clear with a Basic challenge (so a client with
 * credentials sends them), then records what follows.
 */
function sniffer(hostname: string) {
  const listener = Deno.listen({ hostname, port: 0 });
  const received: string[] = [];
  const conns = new Set<Deno.Conn>();
  const serve = async (conn: Deno.Conn) => {
    const buf = new Uint8Array(65536);
    try {
      for (let i = 0; i < 4; i++) {
        const n = await conn.read(buf);
        if (n === null) break;
        const bytes = buf.subarray(0, n);
        received.push(bytes[0] === 0x16 ? "<TLS handshake>" : new TextDecoder().decode(bytes));
        if (bytes[0] === 0x16) break;
        await conn.write(new TextEncoder().encode(
          'HTTP/1.1 401 Unauthorized\r\nwww-authenticate: Basic realm="r"\r\ncontent-length: 0\r\n\r\n',
        ));
      }
    } catch { /* closed */ }
    conns.delete(conn);
    try {
      conn.close();
    } catch { /* closed */ }
  };
  const tasks: Promise<void>[] = [];
  const accepting = (async () => {
    for (;;) {
      try {
        const c = await listener.accept();
        conns.add(c);
        tasks.push(serve(c));
      } catch {
        return;
      }
    }
  })();
  return {
    host: `${hostname}:${(listener.addr as Deno.NetAddr).port}`,
    received,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await accepting;
      await Promise.all(tasks);
    },
  };
}

const ADDRESS = outsideAddress();

Deno.test({
  name:
    "SREGISTRY_DOCKERHUB_NOHTTPS=yes: another registry gets TLS and never the credentials in clear; the hub host gets http",
  ignore: ADDRESS === undefined, // no non-loopback IPv4 address on this machine
  async fn() {
    await using home = await cliHome({
      SREGISTRY_DOCKERHUB_NOHTTPS: "yes",
      SREGISTRY_DOCKERHUB_USERNAME: "alice",
      SREGISTRY_DOCKERHUB_PASSWORD: "s3cret-password",
      SREGISTRY_TIMEOUT: "2",
      SREGISTRY_RETRIES: "0",
    });
    {
      await using other = sniffer(ADDRESS!);
      const r = await home.run(["pull", "--sandbox", `${home.home}/a`, `${other.host}/team/app:1`]);
      assertEquals(r.code, 1, r.stderr);
      assert(other.received.length > 0, "the pull connected");
      assert(
        other.received.every((t) => t === "<TLS handshake>"),
        `only TLS, nothing in clear: ${JSON.stringify(other.received)}`,
      );
      assert(!r.stderr.includes("s3cret"), r.stderr);
    }
    {
      await using other = sniffer(ADDRESS!);
      const r = await home.run(["login", "-u", "alice", "--password-stdin", other.host], {
        stdin: "s3cret-password\n",
      });
      assertEquals(r.code, 1, r.stderr);
      assert(other.received.length > 0, "login connected");
      assert(
        other.received.every((t) => t === "<TLS handshake>"),
        `login: only TLS, nothing in clear: ${JSON.stringify(other.received)}`,
      );
    }
    {
      await using hub = sniffer(ADDRESS!);
      const r = await home.run(["pull", "--sandbox", `${home.home}/b`, "docker.io/team/app:1"], {
        env: { SREGISTRY_DOCKERHUB_BASE: hub.host },
      });
      assertEquals(r.code, 1, r.stderr);
      assert(
        hub.received[0]?.startsWith("GET /v2/team/app/manifests/1 HTTP/1.1"),
        `the hub host in plain http: ${JSON.stringify(hub.received)}`,
      );
    }
  },
});
