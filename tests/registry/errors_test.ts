import { RegistryError } from "../../src/errors.ts";
import { networkError, parseErrorBody, responseError } from "../../src/registry/errors.ts";
import { assertEquals, assertStringIncludes } from "../_assert.ts";

const FIXTURES = new URL("../../../shared/fixtures/registry/", import.meta.url);
const have = (() => {
  try {
    return Deno.statSync(FIXTURES).isDirectory;
  } catch {
    return false;
  }
})();
const ctx = { action: "pull x", method: "GET", url: "https://registry-1.docker.io/v2/x?t=1" };

Deno.test("parseErrorBody() reads JSON errors, unknown codes as UNKNOWN", () => {
  assertEquals(
    parseErrorBody('{"errors":[{"code":"DENIED","message":"no"},{"code":"weird code"}]}').errors,
    [{ code: "DENIED", message: "no", detail: undefined }, {
      code: "UNKNOWN",
      message: undefined,
      detail: undefined,
    }],
  );
  assertEquals(parseErrorBody("<!DOCTYPE html><title>Oops</title>").summary, 'an HTML page "Oops"');
  assertEquals(parseErrorBody("  plain\n text ").summary, '"plain text"');
  assertEquals(parseErrorBody("").summary, undefined);
});

Deno.test("responseError() reads at most 64 KiB of a body", async () => {
  const huge = "x".repeat(10 * 1024 * 1024);
  const e = await responseError(new Response(huge, { status: 500 }), ctx);
  assertEquals(e.status, 500);
  assertStringIncludes(e.message, "try again later");
  assertEquals(e.message.length < 1000, true);
});

for (
  const [code, status, includes] of [
    ["MANIFEST_UNKNOWN", 404, "`sregistry tags REF` lists tags"],
    ["NAME_UNKNOWN", 404, "`sregistry tags REF` lists tags"],
    ["UNAUTHORIZED", 401, "run `sregistry login docker.io`"],
    ["DENIED", 403, "run `sregistry login docker.io`"],
  ] as const
) {
  Deno.test(`responseError() advises on ${code}`, async () => {
    const res = new Response(JSON.stringify({ errors: [{ code }] }), { status });
    const e = await responseError(res, { ...ctx, loginHost: "docker.io" });
    assertStringIncludes(e.message, "Cannot pull x: registry-1.docker.io answered");
    assertStringIncludes(e.message, includes);
    assertEquals(e.url, "https://registry-1.docker.io/v2/x");
    assertEquals(e.errors[0].code, code);
  });
}

Deno.test({
  name: "responseError() explains Docker Hub's 429 fixture",
  ignore: !have,
  async fn() {
    const body = Deno.readTextFileSync(new URL("toomanyrequests-429.json", FIXTURES));
    const e = await responseError(
      new Response(body, { status: 429, headers: { "retry-after": "60" } }),
      { ...ctx, loginHost: "docker.io" },
    );
    assertEquals(e instanceof RegistryError, true);
    assertEquals(e.retryAfter, 60);
    assertStringIncludes(e.message, "TOOMANYREQUESTS (You have reached your pull rate limit.");
    assertStringIncludes(e.message, "retry in 60 s");
    assertStringIncludes(e.message, "logging in (`sregistry login docker.io`) raises the limit");
  },
});

Deno.test("networkError() names the host and keeps the cause", () => {
  const cause = new TypeError("fetch failed", {
    cause: new Error("tcp connect error: Connection refused (os error 111)"),
  });
  const e = networkError(cause, "http://127.0.0.1:9/v2/", "pull x");
  assertEquals(e.message.startsWith("Cannot pull x: connection to 127.0.0.1:9 refused"), true);
  assertEquals(e.cause, cause);
  assertStringIncludes(
    networkError(new Error("invalid peer certificate: UnknownIssuer"), "https://r.test/", "pull")
      .message,
    "SREGISTRY_CA_FILE",
  );
});
