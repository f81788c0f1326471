/**
 * Ports web fetch refuses: which they are, when a proxy stands in the way of
 * the node:http route, and that a client on plain `fetch` fails at once
 * naming the port instead of retrying a "network error". The end-to-end
 * pulls (a real registry on port 6000, and https) are in
 * tests/cli/network_test.ts.
 */
import { SregistryError } from "../../src/errors.ts";
import { parseReference } from "../../src/reference.ts";
import { BAD_PORTS, badPortOf, proxyVariable } from "../../src/registry/bad_ports.ts";
import { RegistryClient } from "../../src/registry/client.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../_assert.ts";

Deno.test("badPortOf() knows the WHATWG bad ports, including the scheme's default port", () => {
  for (const port of [6000, 5060, 5061, 6665, 6666, 6667, 6668, 6669, 6697, 10080, 1, 25, 2049]) {
    assertEquals(badPortOf(`http://r.example:${port}/v2/`), port);
  }
  for (const url of ["http://r.example/v2/", "https://r.example:5000/v2/", "https://r.example/"]) {
    assertEquals(badPortOf(url), undefined, url);
  }
  assertEquals(BAD_PORTS.size, 82);
});

Deno.test("proxyVariable() finds the variable Deno would use, and NO_PROXY exemptions", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  const url = "http://reg.example.org:6000/v2/";
  const cases: [Record<string, string>, string | undefined][] = [
    [{}, undefined],
    [{ HTTP_PROXY: "http://p:3128" }, "HTTP_PROXY"],
    [{ http_proxy: "http://p:3128" }, "http_proxy"],
    [{ HTTPS_PROXY: "http://p:3128" }, undefined],
    [{ ALL_PROXY: "socks5://p:1080" }, "ALL_PROXY"],
    [{ HTTP_PROXY: "http://p", NO_PROXY: "reg.example.org" }, undefined],
    [{ HTTP_PROXY: "http://p", NO_PROXY: ".example.org" }, undefined],
    [{ HTTP_PROXY: "http://p", NO_PROXY: "example.org" }, undefined],
    [{ HTTP_PROXY: "http://p", NO_PROXY: "*" }, undefined],
    [{ HTTP_PROXY: "http://p", no_proxy: "other.org, reg.example.org:6000" }, undefined],
    [{ HTTP_PROXY: "http://p", NO_PROXY: "reg.example.org:5000" }, "HTTP_PROXY"],
    [{ HTTP_PROXY: "http://p", NO_PROXY: "g.example.org" }, "HTTP_PROXY"],
  ];
  for (const [vars, want] of cases) {
    assertEquals(proxyVariable(url, env(vars)), want, JSON.stringify(vars));
  }
  assertEquals(proxyVariable("https://r:6666/", env({ HTTPS_PROXY: "http://p" })), "HTTPS_PROXY");
});

Deno.test("RegistryClient on plain fetch fails at once on a port fetch refuses, naming it", async () => {
  const slept: number[] = [];
  const client = new RegistryClient({
    plainHttp: () => true,
    retries: 5,
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
  });
  for (const port of [6000, 5060, 6667, 10080]) {
    const e = await assertRejects(
      () => client.resolve(parseReference(`127.0.0.1:${port}/a/b:1`)),
      SregistryError,
    );
    assertStringIncludes(
      e.message,
      `Cannot connect to 127.0.0.1:${port}: port ${port} is one web fetch refuses`,
    );
    assertStringIncludes(e.message, "run the registry on another port");
  }
  assert(slept.length === 0, `no retries: ${slept}`);
});
