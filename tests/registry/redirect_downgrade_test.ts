/**
 * An https registry that redirects to `http://` on the same host (a
 * misconfigured load balancer, or an attacker's wish): credentials and
 * tokens must not follow in clear. The client keeps auth state by host,
 * which `https://h` and `http://h` share; before, `Authorization: Basic
 * user:password` (or the Bearer token) went out over plain http.
 * A fault a real registry does not make: the in-process fake.
 */
import { parseReference } from "../../src/reference.ts";
import { RegistryClient } from "../../src/registry/client.ts";
import { RegistryError } from "../../src/errors.ts";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { FakeRegistry, REGISTRY_HOST } from "../_fake_registry.ts";
import { buildImage } from "../_images.ts";

const img = await buildImage({ layers: [{ entries: [{ name: "a", content: "a" }] }] });
const ref = parseReference(`${REGISTRY_HOST}/a/app:v1`);

for (const auth of ["basic", "bearer"] as const) {
  Deno.test(`RegistryClient never sends ${auth} credentials over a redirect from https to http`, async () => {
    const fake = new FakeRegistry(
      auth === "basic" ? { basic: { username: "alice", password: "s3cret" } } : { bearer: true },
    );
    fake.addImage("a/app", "v1", img);
    // Authenticated manifest requests over https are sent to http.
    fake.fault = (req, url) =>
      url.protocol === "https:" && url.host === REGISTRY_HOST &&
        req.headers.get("authorization") !== null &&
        url.pathname.includes("/manifests/")
        ? new Response(null, {
          status: 307,
          headers: { location: `http://${url.host}${url.pathname}` },
        })
        : undefined;
    const client = new RegistryClient({
      fetch: fake.fetch,
      retries: 0,
      credentials: () => Promise.resolve({ username: "alice", password: "s3cret" }),
    });
    await assertRejects(() => client.resolve(ref), RegistryError);
    const overHttp = fake.seen.filter((s) => s.url.startsWith("http:"));
    assert(overHttp.length > 0, "the redirect was not followed");
    assertEquals(overHttp.map((s) => s.authorization), overHttp.map(() => null));
    // The https requests did authenticate: the credentials were there to leak.
    assert(fake.seen.some((s) => s.url.startsWith("https:") && s.authorization !== null));
  });
}

Deno.test("RegistryClient still authenticates to a registry it speaks plain http to by choice", async () => {
  const fake = new FakeRegistry({ basic: { username: "alice", password: "s3cret" } });
  fake.addImage("a/app", "v1", img);
  const client = new RegistryClient({
    fetch: fake.fetch,
    retries: 0,
    plainHttp: () => true,
    credentials: () => Promise.resolve({ username: "alice", password: "s3cret" }),
  });
  assertEquals((await client.resolve(ref)).manifestDigest, img.manifest.digest);
  assert(fake.seen.some((s) => s.url.startsWith("http:") && s.authorization !== null));
});
