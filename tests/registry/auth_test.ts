/** AuthSession against the in-process fake (Bearer flows a real registry cannot run here). */
import { RegistryError } from "../../src/errors.ts";
import { AuthSession } from "../../src/registry/auth.ts";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import {
  AUTH_HOST,
  type FakeOptions,
  FakeRegistry,
  json,
  REGISTRY_HOST,
} from "../_fake_registry.ts";
import { buildImage } from "../_images.ts";

const img = await buildImage({ layers: [{ entries: [{ name: "f", content: "x" }] }] });

function setup(opts: FakeOptions, creds?: Record<string, string>) {
  const fake = new FakeRegistry(opts);
  fake.addImage("a/app", "v1", img);
  fake.addImage("b/app", "v1", img);
  const asked: string[] = [];
  const auth = new AuthSession(fake.fetch, {
    now: () => fake.now,
    credentials: (host) => {
      asked.push(host);
      return Promise.resolve(creds);
    },
  });
  const get = async (repo: string) => {
    const res = await auth.fetch(
      new Request(`https://${REGISTRY_HOST}/v2/${repo}/manifests/v1`),
      `repository:${repo}:pull`,
    );
    await res.body?.cancel();
    return res.status;
  };
  return { fake, auth, get, asked };
}

for (const tokenField of ["token", "access_token", "both"] as const) {
  Deno.test(`AuthSession fetch() gets an anonymous bearer token (${tokenField})`, async () => {
    const { fake, get } = setup({ bearer: true, tokenField });
    assertEquals(await get("a/app"), 200);
    assertEquals(await get("a/app"), 200);
    assertEquals(fake.tokensIssued, 1);
    const tokenReq = fake.seen.find((r) => r.host === AUTH_HOST)!;
    const u = new URL(tokenReq.url);
    assertEquals(u.searchParams.get("service"), REGISTRY_HOST);
    assertEquals(u.searchParams.getAll("scope"), ["repository:a/app:pull"]);
    assertEquals(tokenReq.authorization, null);
    assertEquals(fake.seen.filter((r) => r.host === REGISTRY_HOST).length, 3);
  });
}

Deno.test("AuthSession fetch() refreshes an expired token before using it", async () => {
  const { fake, get } = setup({ bearer: true, expiresIn: 60 });
  assertEquals(await get("a/app"), 200);
  fake.now += 55_000; // inside the safety margin: refreshed before it expires
  assertEquals(await get("a/app"), 200);
  assertEquals(fake.tokensIssued, 2);
  fake.now += 120_000;
  assertEquals(await get("a/app"), 200);
  assertEquals(fake.tokensIssued, 3);
  const registryHits = fake.seen.filter((r) => r.host === REGISTRY_HOST);
  assertEquals(registryHits.map((r) => r.authorization !== null), [false, true, true, true]);
});

Deno.test("AuthSession fetch() asks for a token with the new scope merged in", async () => {
  const { fake, get } = setup({ bearer: true });
  assertEquals(await get("a/app"), 200);
  assertEquals(await get("b/app"), 200);
  const scopes = fake.seen.filter((r) => r.host === AUTH_HOST).map((r) =>
    new URL(r.url).searchParams.getAll("scope")
  );
  assertEquals(scopes, [["repository:a/app:pull"], [
    "repository:a/app:pull",
    "repository:b/app:pull",
  ]]);
  assertEquals(await get("a/app"), 200);
  assertEquals(fake.tokensIssued, 2);
});

Deno.test("AuthSession fetch() retries with a fresh token when the server rejects one", async () => {
  const { fake, get } = setup({ bearer: true, expiresIn: 3600 });
  assertEquals(await get("a/app"), 200);
  fake.revokeTokens();
  assertEquals(await get("a/app"), 200);
  assertEquals(fake.tokensIssued, 2);
});

Deno.test("AuthSession sends credentials to the token realm only, as Basic", async () => {
  const creds = { username: "u", password: "pw-secret" };
  const { fake, get, asked } = setup({ bearer: true, tokenUser: creds }, creds);
  assertEquals(await get("a/app"), 200);
  assertEquals(asked, [REGISTRY_HOST]);
  const tokenReq = fake.seen.find((r) => r.host === AUTH_HOST)!;
  assertEquals(tokenReq.authorization, "Basic " + btoa("u:pw-secret"));
  for (const r of fake.seen.filter((r) => r.host === REGISTRY_HOST)) {
    assert(!r.authorization?.startsWith("Basic"), "registry got the password");
  }
});

Deno.test("AuthSession reports rejected credentials without leaking them", async () => {
  const { get } = setup({ bearer: true, tokenUser: { username: "u", password: "right" } }, {
    username: "u",
    password: "wrong-pw-xyz",
  });
  const e = await assertRejects(
    () => get("a/app"),
    RegistryError,
    `sregistry login ${REGISTRY_HOST}`,
  );
  assert(!e.message.includes("wrong-pw-xyz"));
  assertEquals(e.status, 401);
});

Deno.test("AuthSession exchanges an identity token with the OAuth2 refresh_token grant", async () => {
  const { fake, get } = setup(
    { bearer: true, identityToken: "idt-123" },
    { identityToken: "idt-123" } as never,
  );
  assertEquals(await get("a/app"), 200);
  const tokenReq = fake.seen.find((r) => r.host === AUTH_HOST)!;
  assertEquals(tokenReq.method, "POST");
  assertEquals(tokenReq.authorization, null);
});

Deno.test("AuthSession answers Basic challenges only when it has credentials", async () => {
  const creds = { username: "u", password: "p" };
  assertEquals(await setup({ basic: creds }, creds).get("a/app"), 200);
  assertEquals(await setup({ basic: creds }).get("a/app"), 401);
});

Deno.test("AuthSession refuses a plain-http token realm", async () => {
  const { fake, get } = setup({ bearer: true });
  fake.fault = (_req, url) =>
    url.host === REGISTRY_HOST
      ? json(401, {}, { "www-authenticate": 'Bearer realm="http://evil.test/token",service="x"' })
      : undefined;
  await assertRejects(() => get("a/app"), RegistryError, "is not https");
  assertEquals(fake.seen.some((r) => r.host === "evil.test"), false);
});
