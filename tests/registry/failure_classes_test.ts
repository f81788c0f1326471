import { assert, assertEquals, assertRejects } from "../_assert.ts";
import {
  BlockedPortError,
  ConnectionRefusedError,
  ConnectionResetError,
  type NetworkError,
  NotFoundError,
  RateLimitedError,
  RegistryError,
  TlsError,
  UnauthorizedError,
  UnknownHostError,
} from "../../src/errors.ts";
import { classifyFetchFailure, withRetry } from "../../src/registry/transport.ts";
import { networkError, responseError } from "../../src/registry/errors.ts";
import { createHttpFetcher } from "../../src/registry/http_client.ts";
import { badPortError } from "../../src/registry/bad_ports.ts";

/** A failure shaped as Deno's fetch throws it: only text in the cause. */
function denoFailure(url: string, detail: string): TypeError {
  return new TypeError("fetch failed", {
    cause: new Error(`error sending request for url (${url}): client error (Connect): ${detail}`),
  });
}

/** A failure shaped as node:http throws it: a `code`. */
function nodeFailure(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

Deno.test("classifyFetchFailure() gives each failure its class, with host and URL", () => {
  const url = "https://r.test:5000/v2/x/blobs/sha256:1?sig=secret";
  const cases: [string, unknown, (new (...a: never[]) => NetworkError) | undefined][] = [
    [
      "deno dns",
      denoFailure(url, "dns error: failed to lookup address information"),
      UnknownHostError,
    ],
    ["node dns", nodeFailure("getaddrinfo ENOTFOUND r.test", "ENOTFOUND"), UnknownHostError],
    [
      "deno refused",
      denoFailure(url, "tcp connect error: Connection refused (os error 111)"),
      ConnectionRefusedError,
    ],
    ["node refused", nodeFailure("connect ECONNREFUSED", "ECONNREFUSED"), ConnectionRefusedError],
    [
      "deno reset",
      denoFailure(url, "connection reset by peer (os error 104)"),
      ConnectionResetError,
    ],
    ["node reset", nodeFailure("socket hang up", "ECONNRESET"), ConnectionResetError],
    ["deno cert", denoFailure(url, "invalid peer certificate: UnknownIssuer"), TlsError],
    ["node cert", nodeFailure("self-signed", "DEPTH_ZERO_SELF_SIGNED_CERT"), TlsError],
    [
      "deno handshake",
      denoFailure(url, "received corrupt message of type InvalidContentType"),
      TlsError,
    ],
    ["abort", new DOMException("aborted", "AbortError"), undefined],
    ["other", new TypeError("something else"), undefined],
  ];
  for (const [name, e, want] of cases) {
    const got = classifyFetchFailure(e, url);
    if (!want) {
      assertEquals(got, undefined, name);
      continue;
    }
    assert(got instanceof want, `${name}: ${got?.name}`);
    assertEquals([got.host, got.url, got.cause], [
      "r.test:5000",
      "https://r.test:5000/v2/x/blobs/sha256:1",
      e,
    ], name);
  }
  const cert = classifyFetchFailure(
    denoFailure(url, "invalid peer certificate: UnknownIssuer"),
    url,
  );
  assert(cert instanceof TlsError && cert.certificate && !cert.retryable);
  assertEquals(cert.detail, "invalid peer certificate: UnknownIssuer");
  const handshake = classifyFetchFailure(denoFailure(url, "received corrupt message"), url);
  assert(handshake instanceof TlsError && !handshake.certificate && handshake.retryable);
  // A host named after TLS is not a TLS failure.
  assert(
    classifyFetchFailure(
      denoFailure("https://tls.example/", "tcp connect error: Connection refused"),
      "https://tls.example/",
    ) instanceof
      ConnectionRefusedError,
  );
});

Deno.test("a real refused connection and unknown host become their classes at the fetch", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  using http = createHttpFetcher({});
  const refused = await assertRejects(
    () => http.fetch(new Request(`http://127.0.0.1:${port}/v2/`)),
    ConnectionRefusedError,
  );
  assertEquals(refused.host, `127.0.0.1:${port}`);
  const unknown = await assertRejects(
    () => http.fetch(new Request("http://no-such-registry.invalid/v2/")),
    UnknownHostError,
  );
  assertEquals(unknown.host, "no-such-registry.invalid");
});

Deno.test("networkError() keeps the class and says what to do", () => {
  const url = "https://r.test/v2/";
  const e = networkError(denoFailure(url, "dns error: failed to lookup"), url, "pull r.test/x");
  assert(e instanceof UnknownHostError);
  assertEquals(
    e.message,
    "Cannot pull r.test/x: unknown host r.test: check the registry name and your DNS/proxy settings",
  );
  const refused = networkError(
    classifyFetchFailure(denoFailure(url, "Connection refused"), url),
    url,
    "pull r.test/x",
  );
  assert(refused instanceof ConnectionRefusedError);
  assertEquals(
    refused.message.startsWith("Cannot pull r.test/x: connection to r.test refused"),
    true,
  );
});

Deno.test("withRetry() does not retry an unknown host or an untrusted certificate, by class", async () => {
  for (const detail of ["dns error: failed to lookup", "invalid peer certificate: UnknownIssuer"]) {
    let calls = 0;
    const fetcher = withRetry(() => {
      calls++;
      return Promise.reject(denoFailure("https://r.test/", detail));
    }, { sleep: () => Promise.resolve() });
    await assertRejects(() => fetcher(new Request("https://r.test/")), TypeError);
    assertEquals(calls, 1, detail);
  }
  let calls = 0;
  const reset = withRetry(() => {
    calls++;
    return Promise.reject(denoFailure("https://r.test/", "connection reset by peer"));
  }, { retries: 2, sleep: () => Promise.resolve() });
  await assertRejects(() => reset(new Request("https://r.test/")), TypeError);
  assertEquals(calls, 3);
});

Deno.test("responseError() picks the class from the status and the errors[].code", async () => {
  const cases: [number, string, typeof RegistryError][] = [
    [404, "", NotFoundError],
    [400, '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}', NotFoundError],
    [401, "", UnauthorizedError],
    [403, '{"errors":[{"code":"DENIED"}]}', UnauthorizedError],
    [429, "", RateLimitedError],
    [503, '{"errors":[{"code":"TOOMANYREQUESTS"}]}', RateLimitedError],
    [500, "", RegistryError],
  ];
  for (const [status, body, want] of cases) {
    const res = new Response(body, { status, headers: { "retry-after": "7" } });
    const e = await responseError(res, {
      action: "pull x",
      method: "GET",
      url: "https://r.test/v2/",
    });
    assertEquals(e.constructor, want, `${status} ${body}`);
    assertEquals([e.status, e.retryAfter], [status, 7]);
  }
});

Deno.test("a port fetch refuses is a BlockedPortError, not retried, its message kept", async () => {
  let error: unknown;
  try {
    await fetch("http://127.0.0.1:6000/v2/");
  } catch (e) {
    error = e;
  }
  const failure = classifyFetchFailure(error, "http://127.0.0.1:6000/v2/");
  assert(failure instanceof BlockedPortError && !failure.retryable, String(error));
  let calls = 0;
  const fetcher = withRetry(() => {
    calls++;
    return Promise.reject(error);
  }, { sleep: () => Promise.resolve() });
  await assertRejects(() => fetcher(new Request("http://127.0.0.1:6000/v2/")), TypeError);
  assertEquals(calls, 1);
  const told = badPortError("http://127.0.0.1:6000/v2/", "HTTPS_PROXY is set");
  assertEquals(networkError(told, "http://127.0.0.1:6000/v2/", "pull x"), told);
  const raw = networkError(error, "http://127.0.0.1:6000/v2/", "pull x");
  assert(raw instanceof BlockedPortError);
  assertEquals(raw.message.startsWith("Cannot connect to 127.0.0.1:6000: port 6000 is one"), true);
});
