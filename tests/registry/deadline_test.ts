/**
 * A bound on every phase of every request, against raw TCP servers: accept
 * and never answer, answer the headers then stall, or trickle a byte at a
 * time, for manifests, tokens, error bodies and the config blob. Each case
 * must end with a message naming the phase, the host and SREGISTRY_TIMEOUT.
 * The guard only tells a hang from a failure; it is far above the bound.
 */
import { SregistryError } from "../../src/errors.ts";
import { parseReference } from "../../src/reference.ts";
import { RegistryClient } from "../../src/registry/client.ts";
import { cliHome } from "../_cli.ts";
import { FakeRegistry, REGISTRY_HOST } from "../_fake_registry.ts";
import { buildImage } from "../_images.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../_assert.ts";
import { type RawServer, rawServer, silent, trickle } from "./_raw_server.ts";

const TIMEOUT_MS = 300;
const GUARD_MS = 20_000;
const MANIFEST = { "content-type": "application/vnd.oci.image.manifest.v1+json" };

function client(retries = 1): RegistryClient {
  return new RegistryClient({
    plainHttp: () => true,
    timeoutMs: TIMEOUT_MS,
    retries,
    sleep: () => Promise.resolve(),
  });
}

/** Fails with "hung" when `p` has not settled after GUARD_MS. */
async function guarded<T>(p: Promise<T>): Promise<T> {
  let id: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    id = setTimeout(() => reject(new Error(`hung for ${GUARD_MS} ms`)), GUARD_MS);
  });
  try {
    return await Promise.race([p, hung]);
  } finally {
    clearTimeout(id);
  }
}

async function expectTimeout(server: RawServer, run: () => Promise<unknown>, says: string[]) {
  try {
    const e = await assertRejects(() => guarded(run()), SregistryError);
    for (const s of says) assertStringIncludes(e.message, s);
    assertStringIncludes(e.message, "SREGISTRY_TIMEOUT (now 0.3 s) sets this bound");
  } finally {
    await server.close();
  }
}

Deno.test("a registry that accepts the connection and never answers: the headers bound ends the request, retried once", async () => {
  const server = rawServer(silent);
  await expectTimeout(server, () => client().resolve(parseReference(`${server.host}/a/b:1`)), [
    `Cannot get the manifest of ${server.host}/a/b:1: no answer from ${server.host} within 0.3 s (connecting or waiting for the response headers)`,
  ]);
  assertEquals(server.seen.length, 2, "one attempt and one retry");
});

Deno.test("a HEAD that is never answered ends too", async () => {
  const server = rawServer(silent);
  await expectTimeout(
    server,
    () => client(0).headManifest(parseReference(`${server.host}/a/b:1`)),
    [`Cannot check ${server.host}/a/b:1: no answer from ${server.host} within 0.3 s`],
  );
});

for (
  const [name, everyMs] of [["stalls after the headers", 0], [
    "trickles a byte at a time",
    50,
  ]] as const
) {
  Deno.test(`a manifest body that ${name} ends with the body bound, retried once`, async () => {
    const server = rawServer(trickle("200 OK", MANIFEST, 1000, everyMs));
    await expectTimeout(server, () => client().resolve(parseReference(`${server.host}/a/b:1`)), [
      `Cannot get the manifest of ${server.host}/a/b:1: the answer from ${server.host} did not arrive in full within 0.3 s (the body stalled or trickled)`,
    ]);
    assertEquals(server.seen.length, 2, "one attempt and one retry");
  });

  Deno.test(`a tag list that ${name} ends with the body bound`, async () => {
    const server = rawServer(
      trickle("200 OK", { "content-type": "application/json" }, 1000, everyMs),
    );
    await expectTimeout(server, () => client(0).listTags(parseReference(`${server.host}/a/b`)), [
      `Cannot list the tags of ${server.host}/a/b: the answer from ${server.host} did not arrive in full`,
    ]);
  });

  Deno.test(`a token answer that ${name} ends with the body bound`, async () => {
    let host = "";
    const server = rawServer(async (x, closed) => {
      if (x.requestLine.includes("/token")) {
        return await trickle("200 OK", { "content-type": "application/json" }, 1000, everyMs)(
          x,
          closed,
        );
      }
      await x.write(
        `HTTP/1.1 401 Unauthorized\r\nwww-authenticate: Bearer realm="http://${host}/token",service="t"\r\ncontent-length: 0\r\n\r\n`,
      );
    });
    host = server.host;
    await expectTimeout(server, () => client(0).resolve(parseReference(`${server.host}/a/b:1`)), [
      `Cannot get a token for ${server.host}: the answer from ${server.host} did not arrive in full within 0.3 s`,
    ]);
  });

  Deno.test(`an error answer whose body ${name} is reported by its status at the bound`, async () => {
    const server = rawServer(
      trickle("404 Not Found", { "content-type": "application/json" }, 1000, everyMs),
    );
    try {
      const e = await assertRejects(
        () => guarded(client(0).resolve(parseReference(`${server.host}/a/b:1`))),
        SregistryError,
      );
      assertStringIncludes(e.message, `${server.host} answered 404 Not Found`);
      assertStringIncludes(e.message, "check the name and tag");
    } finally {
      await server.close();
    }
  });

  Deno.test(`a config blob that ${name} ends with the total bound after the retries`, async () => {
    const server = rawServer(
      trickle("200 OK", { "content-type": "application/octet-stream" }, 1000, everyMs),
    );
    const config = {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: `sha256:${"0".repeat(64)}`,
      size: 1000,
    };
    try {
      const stream = client(1).openBlob(parseReference(`${server.host}/a/b:1`), config, {
        small: true,
      });
      const e = await assertRejects(
        () => guarded(new Response(stream).arrayBuffer()),
        SregistryError,
      );
      assertStringIncludes(e.message, "not complete within 0.3 s (SREGISTRY_TIMEOUT)");
      assert(server.seen.length === 2, `one attempt and one resume: ${server.seen}`);
    } finally {
      await server.close();
    }
  });
}

Deno.test("sregistry pull from a registry that never answers ends with exit 1 after SREGISTRY_TIMEOUT and the retries", async () => {
  await using home = await cliHome({ SREGISTRY_TIMEOUT: "1", SREGISTRY_RETRIES: "1" });
  await using server = rawServer(silent);
  const r = await guarded(home.run(["pull", `${server.host}/a/b:1`]));
  assertEquals(r.code, 1, r.stderr);
  assertStringIncludes(
    r.stderr,
    `Cannot check ${server.host}/a/b:1: no answer from ${server.host} within 1 s (connecting or waiting for the response headers): check that the registry is up and your network or proxy passes it; SREGISTRY_TIMEOUT (now 1 s) sets this bound`,
  );
  assertEquals(server.seen.length, 2, "one attempt and one retry");
});

Deno.test("a blob request whose headers never come ends with the headers bound, even under a fetcher that ignores its signal", async () => {
  const img = await buildImage({
    layers: [{ entries: [{ name: "f", content: "x" }], compression: "none" }],
  });
  const fake = new FakeRegistry();
  fake.addImage("a/app", "v1", img);
  let asked = 0;
  const c = new RegistryClient({
    fetch: (req) => {
      if (!req.url.includes("/blobs/")) return fake.fetch(req);
      asked++;
      return new Promise(() => {}); // never settles, whatever the signal says
    },
    timeoutMs: TIMEOUT_MS,
    retries: 1,
    sleep: () => Promise.resolve(),
  });
  const ref = parseReference(`${REGISTRY_HOST}/a/app:v1`);
  const e = await assertRejects(
    () => guarded(new Response(c.openBlob(ref, img.layers[0])).arrayBuffer()),
    SregistryError,
  );
  assertStringIncludes(e.message, `no answer from ${REGISTRY_HOST} within 0.3 s`);
  assertEquals(asked, 2, "one attempt and one retry");
});

Deno.test({
  name:
    "a registry whose connection never completes (its listen queue is full) ends with the same bound",
  // The probe connect that found the queue full stays pending in the kernel's SYN retries.
  sanitizeOps: false,
  async fn() {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 }); // never accepts
    const port = (listener.addr as Deno.NetAddr).port;
    const queued: Deno.Conn[] = [];
    try {
      for (let full = false; !full && queued.length < 10_000;) {
        const c = await Promise.race([
          Deno.connect({ hostname: "127.0.0.1", port }),
          new Promise<undefined>((r) => setTimeout(() => r(undefined), 300)),
        ]);
        if (c) queued.push(c);
        else full = true;
      }
      const host = `127.0.0.1:${port}`;
      const e = await assertRejects(
        () => guarded(client(0).resolve(parseReference(`${host}/a/b:1`))),
        SregistryError,
      );
      assertStringIncludes(
        e.message,
        `no answer from ${host} within 0.3 s (connecting or waiting for the response headers)`,
      );
    } finally {
      for (const c of queued) c.close();
      listener.close();
    }
  },
});

Deno.test("a token server that never answers ends with the headers bound, naming the token server", async () => {
  let host = "";
  const server = rawServer(async (x, closed) => {
    if (x.requestLine.includes("/token")) return await silent(x, closed);
    await x.write(
      `HTTP/1.1 401 Unauthorized\r\nwww-authenticate: Bearer realm="http://${host}/token",service="t"\r\ncontent-length: 0\r\n\r\n`,
    );
  });
  host = server.host;
  await expectTimeout(server, () => client(0).resolve(parseReference(`${server.host}/a/b:1`)), [
    `Cannot get the manifest of ${server.host}/a/b:1: no answer from ${server.host} within 0.3 s`,
  ]);
});
