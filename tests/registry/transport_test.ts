import {
  type Fetcher,
  parseRetryAfter,
  type RetryInfo,
  safeUrl,
  withRetry,
  withUserAgent,
} from "../../src/registry/transport.ts";
import { assertEquals, assertRejects } from "../_assert.ts";

function scripted(answers: (number | Error)[]): { fetch: Fetcher; calls: Request[] } {
  const calls: Request[] = [];
  return {
    calls,
    fetch: (req) => {
      calls.push(req);
      const a = answers.shift() ?? 200;
      if (a instanceof Error) return Promise.reject(a);
      return Promise.resolve(new Response(String(a), { status: a }));
    },
  };
}

const noSleep = { sleep: () => Promise.resolve(), random: () => 0.5 };

Deno.test("withUserAgent() sets User-Agent unless present", async () => {
  const s = scripted([]);
  const f = withUserAgent(s.fetch, "sregistry/1");
  await f(new Request("https://r.test/"));
  await f(new Request("https://r.test/", { headers: { "user-agent": "mine" } }));
  assertEquals(s.calls.map((c) => c.headers.get("user-agent")), ["sregistry/1", "mine"]);
});

for (
  const [name, answers, want] of [
    ["408", [408, 200], 2],
    ["500 then 502", [500, 502, 200], 3],
    ["network error", [new TypeError("connection reset"), 200], 2],
    ["404 is final", [404], 1],
    ["501 is final", [501], 1],
  ] as const
) {
  Deno.test(`withRetry() on ${name} makes ${want} attempts`, async () => {
    const s = scripted([...answers]);
    await withRetry(s.fetch, noSleep)(new Request("https://r.test/"));
    assertEquals(s.calls.length, want);
  });
}

Deno.test("withRetry() backs off exponentially with a cap and stops after `retries`", async () => {
  const s = scripted([503, 503, 503, 503, 503]);
  const infos: RetryInfo[] = [];
  const res = await withRetry(s.fetch, {
    ...noSleep,
    retries: 3,
    baseDelayMs: 100,
    maxDelayMs: 250,
    onRetry: (i) => infos.push(i),
  })(new Request("https://r.test/x?sig=secret"));
  assertEquals(res.status, 503);
  assertEquals(s.calls.length, 4);
  assertEquals(infos.map((i) => i.delayMs), [75, 150, 188]);
  assertEquals(infos[0].url, "https://r.test/x");
});

Deno.test("withRetry() does not retry unknown hosts and rethrows the last network error", async () => {
  const dns = new TypeError("fetch failed", {
    cause: new Error("dns error: failed to lookup address information"),
  });
  const s = scripted([dns]);
  await assertRejects(() => withRetry(s.fetch, noSleep)(new Request("https://r.test/")), TypeError);
  assertEquals(s.calls.length, 1);
  const t = scripted([new TypeError("reset"), new TypeError("reset")]);
  await assertRejects(
    () => withRetry(t.fetch, { ...noSleep, retries: 1 })(new Request("https://r.test/")),
    TypeError,
    "reset",
  );
  assertEquals(t.calls.length, 2);
});

Deno.test("parseRetryAfter() reads seconds and HTTP dates", () => {
  assertEquals(parseRetryAfter("120"), 120);
  assertEquals(parseRetryAfter(null), undefined);
  assertEquals(parseRetryAfter("soon"), undefined);
  const now = Date.parse("2024-01-01T00:00:00Z");
  assertEquals(parseRetryAfter("Mon, 01 Jan 2024 00:01:00 GMT", now), 60);
});

Deno.test("safeUrl() drops query strings that may hold signatures", () => {
  assertEquals(safeUrl("https://cdn.test/a/b?verify=123-sig#x"), "https://cdn.test/a/b");
});

Deno.test("withRetry() does not retry a refused certificate", async () => {
  let calls = 0;
  const failing = withRetry(() => {
    calls++;
    return Promise.reject(
      new TypeError(
        "error sending request: client error (Connect): invalid peer certificate: UnknownIssuer",
      ),
    );
  }, { retries: 3, sleep: () => Promise.resolve() });
  await assertRejects(
    () => failing(new Request("https://registry.example/v2/")),
    TypeError,
    "UnknownIssuer",
  );
  assertEquals(calls, 1);
});
