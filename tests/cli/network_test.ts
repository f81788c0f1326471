/**
 * Network settings end to end, through the CLI as users run it: Docker Hub
 * mirrors against a real pull-through cache, TLS with a private CA, HTTP
 * proxies from the environment, and rate-limit messages.
 */
import { CliContext } from "../../src/cli/context.ts";
import type { PullEvent } from "../../src/pull/events.ts";
import { parseReference } from "../../src/reference.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../_assert.ts";
import { FakeRegistry, json, REGISTRY_HOST } from "../_fake_registry.ts";
import { cliHome, RUN_FLAGS } from "../_cli.ts";
import { buildImage } from "../_images.ts";
import { pushImage, startRegistry } from "../_registry.ts";

const image = await buildImage({
  layers: [{
    entries: [{ name: "etc", type: "directory" }, { name: "etc/hello", content: "hello\n" }],
    compression: "gzip",
  }],
});
const LAYER = image.layers[0].digest;

Deno.test("sregistry pull of docker.io goes through SREGISTRY_DOCKERHUB_MIRROR, and falls back to the hub when the mirror is down", async () => {
  await using upstream = await startRegistry();
  await pushImage(upstream, "library/tool", "v1", image);
  const proxy = await startRegistry({ proxyRemote: upstream.url });
  await using home = await cliHome({
    SREGISTRY_DOCKERHUB_BASE: upstream.host,
    SREGISTRY_DOCKERHUB_MIRROR: `${proxy.url},http://127.0.0.1:1`,
  });
  try {
    const first = await home.run([
      "--debug",
      "pull",
      "--sandbox",
      `${home.home}/a`,
      "docker.io/library/tool:v1",
    ]);
    assertEquals(first.code, 0, first.stderr);
    assertStringIncludes(first.stderr, `from mirror ${proxy.url}`);
    assertEquals(await Deno.readTextFile(`${home.home}/a/etc/hello`), "hello\n");
    const served = (await proxy.requests()).filter((r) => r.method === "GET" && r.status === 200);
    assert(
      served.some((r) => r.path === `/v2/library/tool/blobs/${LAYER}`),
      JSON.stringify(served),
    );
    // The pull-through cache fetched the layer from upstream.
    const fromUpstream = (await upstream.requests()).filter((r) => r.path.includes(LAYER));
    assert(fromUpstream.some((r) => r.method === "GET"), JSON.stringify(fromUpstream));
  } finally {
    await proxy.stop();
  }
  const before = (await upstream.requests()).length;
  const second = await home.run([
    "pull",
    "--no-blob-cache",
    "--sandbox",
    `${home.home}/b`,
    "tool:v1",
  ]);
  assertEquals(second.code, 0, second.stderr);
  assertStringIncludes(second.stderr, `Warning: mirror ${proxy.url} failed`);
  assertStringIncludes(second.stderr, "trying mirror http://127.0.0.1:1");
  assertStringIncludes(
    second.stderr,
    `(connection to ${proxy.host} refused; not used again in this run)`,
  );
  assertStringIncludes(second.stderr, "trying Docker Hub");
  assertEquals(await Deno.readTextFile(`${home.home}/b/etc/hello`), "hello\n");
  const direct = (await upstream.requests()).slice(before).map((r) => r.path);
  assert(direct.includes(`/v2/library/tool/blobs/${LAYER}`), JSON.stringify(direct));
});

/** A private CA and a certificate for 127.0.0.1 signed by it, made with openssl. */
async function makeCertificates(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const run = async (args: string[]) => {
    const out = await new Deno.Command("openssl", { args, cwd: dir, stderr: "piped" }).output();
    if (!out.success) {
      throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
    }
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await run([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=sregistry test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  await run([
    "req",
    ...ec,
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=127.0.0.1",
  ]);
  await Deno.writeTextFile(
    `${dir}/ext.cnf`,
    "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
  );
  await run([
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "ext.cnf",
  ]);
  return { ca: `${dir}/ca.pem`, cert: `${dir}/server.pem`, key: `${dir}/server.key` };
}

/** A plain registry with the image, and a TLS registry (pull-through cache) in front of it. */
async function tlsRegistry(dir: string, port?: number) {
  const certs = await makeCertificates(dir);
  const upstream = await startRegistry();
  await pushImage(upstream, "test/tls", "v1", image);
  const tls = await startRegistry({
    proxyRemote: upstream.url,
    tls: { certificate: certs.cert, key: certs.key },
    port,
  });
  return {
    ...certs,
    tls,
    async [Symbol.asyncDispose]() {
      await tls.stop();
      await upstream.stop();
    },
  };
}

Deno.test("sregistry pull over https: fails without the CA naming the certificate problem, works with SREGISTRY_CA_FILE or DENO_CERT", async () => {
  await using home = await cliHome({ SREGISTRY_DOCKERHUB_NOHTTPS: "no" });
  await using reg = await tlsRegistry(home.home);
  const ref = `${reg.tls.host}/test/tls:v1`;
  const cases: { name: string; env: Record<string, string>; code: number; says?: string[] }[] = [
    {
      name: "no CA",
      env: {},
      code: 1,
      says: [
        `Cannot connect to ${reg.tls.host}: its TLS certificate is not trusted (invalid peer certificate: UnknownIssuer)`,
        "set SREGISTRY_CA_FILE (or DENO_CERT) to a PEM file with the CA that signed it",
      ],
    },
    {
      name: "SREGISTRY_HTTPS_NOVERIFY without the runtime flag",
      env: { SREGISTRY_HTTPS_NOVERIFY: "yes" },
      code: 1,
      says: ["--unsafely-ignore-certificate-errors=127.0.0.1"],
    },
    { name: "SREGISTRY_CA_FILE", env: { SREGISTRY_CA_FILE: reg.ca }, code: 0 },
    { name: "DENO_CERT", env: { DENO_CERT: reg.ca }, code: 0 },
  ];
  for (const [i, c] of cases.entries()) {
    const out = `${home.home}/out${i}`;
    const r = await home.run(["pull", "--no-blob-cache", "--sandbox", out, ref], { env: c.env });
    assertEquals(r.code, c.code, `${c.name}: ${r.stderr}`);
    for (const s of c.says ?? []) assertStringIncludes(r.stderr, s, c.name);
    if (c.code === 0) assertEquals(await Deno.readTextFile(`${out}/etc/hello`), "hello\n");
  }
});

Deno.test("sregistry pull with SREGISTRY_HTTPS_NOVERIFY under --unsafely-ignore-certificate-errors works", async () => {
  await using home = await cliHome({ SREGISTRY_DOCKERHUB_NOHTTPS: "no" });
  await using reg = await tlsRegistry(home.home);
  const out = `${home.home}/out`;
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...RUN_FLAGS,
      "--unsafely-ignore-certificate-errors=127.0.0.1",
      new URL("../../main.ts", import.meta.url).pathname,
      "pull",
      "--sandbox",
      out,
      `${reg.tls.host}/test/tls:v1`,
    ],
    env: { ...home.env, NO_COLOR: "1", SREGISTRY_HTTPS_NOVERIFY: "yes" },
    stdin: "null",
  }).output();
  assertEquals(r.code, 0, new TextDecoder().decode(r.stderr));
  assertEquals(await Deno.readTextFile(`${out}/etc/hello`), "hello\n");
});

/**
 * A tiny HTTP proxy: `CONNECT host:port` tunnels (https), absolute-form
 * requests are forwarded to their host (http). Records each connection's
 * first request line.
 */
function startProxy() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const lines: string[] = [];
  const conns = new Set<Deno.Conn>();
  const tasks: Promise<void>[] = [];
  const serve = async (conn: Deno.Conn) => {
    conns.add(conn);
    let data = new Uint8Array(0);
    const buf = new Uint8Array(64 * 1024);
    let head = "";
    while (!head.includes("\r\n\r\n")) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) return conn.close();
      data = new Uint8Array([...data, ...buf.subarray(0, n)]);
      head = new TextDecoder().decode(data);
    }
    const line = head.split("\r\n")[0];
    lines.push(line);
    const [method, target] = line.split(" ");
    const hostPort = method === "CONNECT" ? target : new URL(target).host;
    const [hostname, port] = hostPort.split(":");
    const upstream = await Deno.connect({ hostname, port: Number(port) });
    conns.add(upstream);
    if (method === "CONNECT") {
      await conn.write(new TextEncoder().encode("HTTP/1.1 200 Connection established\r\n\r\n"));
    } else await upstream.write(data);
    await Promise.allSettled([
      conn.readable.pipeTo(upstream.writable),
      upstream.readable.pipeTo(conn.writable),
    ]);
  };
  const accepting = (async () => {
    for await (const conn of listener) tasks.push(serve(conn).catch(() => {}));
  })();
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    lines,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting.catch(() => {});
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await Promise.allSettled(tasks);
    },
  };
}

Deno.test("sregistry pull honours HTTP_PROXY, HTTPS_PROXY (also with SREGISTRY_CA_FILE) and NO_PROXY", async () => {
  await using home = await cliHome({ SREGISTRY_DOCKERHUB_NOHTTPS: "no" });
  await using reg = await tlsRegistry(home.home);
  await using plain = await startRegistry();
  await pushImage(plain, "test/plain", "v1", image);
  await using proxy = startProxy();
  const cases: { name: string; ref: string; env: Record<string, string>; via: string | null }[] = [
    {
      name: "http through HTTP_PROXY",
      ref: `${plain.host}/test/plain:v1`,
      env: { HTTP_PROXY: proxy.url, SREGISTRY_DOCKERHUB_NOHTTPS: "yes" },
      via: `GET ${plain.url}/v2/test/plain/manifests/v1 HTTP/1.1`,
    },
    {
      name: "https through HTTPS_PROXY with a CA file",
      ref: `${reg.tls.host}/test/tls:v1`,
      env: { HTTPS_PROXY: proxy.url, SREGISTRY_CA_FILE: reg.ca },
      via: `CONNECT ${reg.tls.host} HTTP/1.1`,
    },
    {
      name: "NO_PROXY",
      ref: `${plain.host}/test/plain:v1`,
      env: { HTTP_PROXY: proxy.url, NO_PROXY: "127.0.0.1", SREGISTRY_DOCKERHUB_NOHTTPS: "yes" },
      via: null,
    },
  ];
  for (const [i, c] of cases.entries()) {
    proxy.lines.length = 0;
    const out = `${home.home}/proxied${i}`;
    const r = await home.run(["pull", "--no-blob-cache", "--sandbox", out, c.ref], { env: c.env });
    assertEquals(r.code, 0, `${c.name}: ${r.stderr}`);
    assertEquals(await Deno.readTextFile(`${out}/etc/hello`), "hello\n");
    if (c.via) assertStringIncludes(proxy.lines.join("\n"), c.via, c.name);
    else assertEquals(proxy.lines, [], c.name);
  }
});

/** A CLI context on an in-process fake Docker Hub (SREGISTRY_DOCKERHUB_BASE=registry.test). */
async function fakeHub(headers: (req: Request) => Response | undefined) {
  const home = await Deno.makeTempDir({ prefix: "sregistry-ratelimit-" });
  const fake = new FakeRegistry();
  fake.addImage("library/app", "v1", image);
  fake.fault = headers;
  const ctx = new CliContext(
    { HOME: home, SREGISTRY_DOCKERHUB_BASE: REGISTRY_HOST, SREGISTRY_RETRIES: "0" },
    {},
    fake.fetch,
  );
  const events: PullEvent[] = [];
  return {
    client: ctx.registryClient({ onEvent: (e) => events.push(e) }),
    events,
    [Symbol.asyncDispose]: async () => {
      ctx.close();
      await Deno.remove(home, { recursive: true });
    },
  };
}

Deno.test("CliContext.registryClient() turns a low Docker Hub rate limit into one warning", async () => {
  const limited = (req: Request) => {
    if (!new URL(req.url).pathname.includes("/manifests/")) return undefined;
    return new Response(req.method === "HEAD" ? null : image.manifest.bytes as BodyInit, {
      headers: {
        "content-type": image.manifest.mediaType,
        "docker-content-digest": image.manifest.digest,
        "ratelimit-limit": "100;w=21600",
        "ratelimit-remaining": "4;w=21600",
      },
    });
  };
  await using hub = await fakeHub(limited);
  const ref = parseReference("app:v1");
  assertEquals((await hub.client.headManifest(ref))?.rateLimit?.remaining, 4);
  await hub.client.resolve(ref);
  assertEquals(hub.events, [
    { kind: "warning", text: "4 of 100 pulls left per 6 h; logging in raises the limit" },
  ]);
});

Deno.test("CliContext.registryClient() says when to retry a 429 and that logging in raises the limit", async () => {
  const cases = [
    { name: "Retry-After", retryAfter: "3600", says: "retry in 3600 s (after " },
    { name: "no Retry-After", retryAfter: undefined, says: "retry later" },
  ];
  for (const c of cases) {
    await using hub = await fakeHub(() =>
      json(429, {
        errors: [{
          code: "TOOMANYREQUESTS",
          message: "You have reached your unauthenticated pull rate limit.",
        }],
      }, c.retryAfter ? { "retry-after": c.retryAfter } : {})
    );
    const e = await assertRejects(() => hub.client.resolve(parseReference("app:v1")));
    const message = (e as Error).message;
    assertStringIncludes(message, "Cannot get the manifest of docker.io/library/app:v1", c.name);
    assertStringIncludes(message, "pull rate limit is reached", c.name);
    assertStringIncludes(message, c.says, c.name);
    assertStringIncludes(
      message,
      "logging in (`sregistry login docker.io`) raises the limit",
      c.name,
    );
  }
});

/** The first of `ports` free on 127.0.0.1, if any. */
function freeOf(ports: number[]): number | undefined {
  return ports.find((port) => {
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return true;
    } catch {
      return false;
    }
  });
}

// Ports web fetch refuses (WHATWG "bad ports"); the tests skip when none is free.
const BAD_HTTP = freeOf([6000, 6665, 6666, 5060]);
const BAD_TLS = freeOf([6667, 6668, 6669, 10080].filter((p) => p !== BAD_HTTP));

Deno.test({
  name:
    "sregistry pull from a registry on a port fetch refuses (6000...) goes through node:http; with a proxy set it fails at once naming the port",
  ignore: BAD_HTTP === undefined, // every candidate port is taken on this machine
  async fn() {
    await using upstream = await startRegistry();
    await pushImage(upstream, "test/bad", "v1", image);
    await using reg = await startRegistry({ proxyRemote: upstream.url, port: BAD_HTTP });
    await using home = await cliHome();
    const ref = `127.0.0.1:${BAD_HTTP}/test/bad:v1`;
    const r = await home.run(["pull", ref]);
    assertEquals(r.code, 0, r.stderr);
    const sif = await new Deno.Command("siftool", { args: ["list", r.stdout.trim()] }).output();
    assertStringIncludes(new TextDecoder().decode(sif.stdout), "FS (Squashfs");
    const again = await home.run(["pull", ref]);
    assertEquals([again.code, again.stdout], [0, r.stdout]);

    const proxied = await home.run(["pull", "--force", ref], {
      env: { HTTP_PROXY: "http://127.0.0.1:1", SREGISTRY_RETRIES: "3" },
    });
    assertEquals(proxied.code, 1, proxied.stderr);
    assertStringIncludes(
      proxied.stderr,
      `Cannot connect to 127.0.0.1:${BAD_HTTP}: port ${BAD_HTTP} is one web fetch refuses (the WHATWG "bad ports", e.g. 6000, 5060, 6665-6669, 10080), and HTTP_PROXY is set, which the other route (node:http) cannot use: run the registry on another port (5000 is usual), or forward one to it`,
    );
    assert(!proxied.stderr.includes("retrying"), proxied.stderr);
    const exempt = await home.run(["pull", "--force", ref], {
      env: { HTTP_PROXY: "http://127.0.0.1:1", NO_PROXY: "127.0.0.1" },
    });
    assertEquals(exempt.code, 0, exempt.stderr);
    assert((await reg.requests()).length > 0);
  },
});

Deno.test({
  name:
    "sregistry pull over https from a port fetch refuses trusts SREGISTRY_CA_FILE, and names an untrusted certificate",
  ignore: BAD_TLS === undefined, // every candidate port is taken on this machine
  async fn() {
    await using home = await cliHome({ SREGISTRY_DOCKERHUB_NOHTTPS: "no" });
    await using reg = await tlsRegistry(home.home, BAD_TLS);
    const ref = `127.0.0.1:${BAD_TLS}/test/tls:v1`;
    const untrusted = await home.run(["pull", "--sandbox", `${home.home}/a`, ref]);
    assertEquals(untrusted.code, 1, untrusted.stderr);
    assertStringIncludes(
      untrusted.stderr,
      `Cannot connect to 127.0.0.1:${BAD_TLS}: its TLS certificate is not trusted`,
    );
    const trusted = await home.run(["pull", "--sandbox", `${home.home}/b`, ref], {
      env: { SREGISTRY_CA_FILE: reg.ca },
    });
    assertEquals(trusted.code, 0, trusted.stderr);
    assertEquals(await Deno.readTextFile(`${home.home}/b/etc/hello`), "hello\n");
  },
});
