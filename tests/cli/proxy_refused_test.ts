/**
 * A proxy (HTTP_PROXY/HTTPS_PROXY) that refuses the connection: before, the
 * message said "connection to registry.example.com:5000 refused", naming
 * neither the proxy nor its variable. Now it names both, never the proxy's
 * credentials. A closed local port plays the proxy: no registry is involved.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";

function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("sregistry pull names the proxy that refused the connection, not its password", async () => {
  await using home = await cliHome({ SREGISTRY_RETRIES: "0" });
  const port = closedPort();
  const cases: [Record<string, string>, string[], string][] = [
    [{ HTTP_PROXY: `http://alice:s3cret@127.0.0.1:${port}` }, ["--no-https"], "HTTP_PROXY"],
    [{ HTTPS_PROXY: `127.0.0.1:${port}` }, [], "HTTPS_PROXY"],
  ];
  for (const [env, flags, variable] of cases) {
    const res = await home.run(
      ["pull", ...flags, "registry.example.com:5000/a/b:c"],
      { env: { ...env, NO_PROXY: "", no_proxy: "" } },
    );
    assertEquals(res.code, 1, res.stderr);
    assertStringIncludes(
      res.stderr,
      `connection to the proxy http://127.0.0.1:${port} (${variable}) refused, on the way to registry.example.com:5000: check ${variable} and whether the proxy is up, or add registry.example.com to NO_PROXY`,
    );
    assert(!/s3cret|alice/.test(res.stderr), res.stderr);
  }
});
