/**
 * Redirects a registry or a proxy gets wrong: a `Location` that is not a
 * URL, one to another scheme, a loop. Before: "Cannot complete the command:
 * Invalid URL: ..." (a raw TypeError), "network error ...: check your
 * connection", and "answered 307 Temporary Redirect". A real registry does
 * not do this: a small server in the test does.
 */
import { assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";

Deno.test("sregistry says which redirect of a registry cannot be followed", async () => {
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    const location = path.endsWith("/loop")
      ? path
      : path.endsWith("/ftp")
      ? "ftp://127.0.0.1/x"
      : path.endsWith("/bad")
      ? "http://[::1"
      : undefined;
    if (!location) return Response.json({});
    return new Response(null, { status: 307, headers: { location } });
  });
  await using home = await cliHome({ SREGISTRY_RETRIES: "0" });
  const host = `127.0.0.1:${server.addr.port}`;
  for (
    const [tag, reason] of [
      ["loop", "redirected more than 10 times in a row"],
      ["ftp", "redirected to a ftp: URL, which is not http or https"],
      ["bad", "redirected to a Location that is not a URL"],
    ]
  ) {
    const res = await home.run(["pull", `${host}/a/b:${tag}`]);
    assertEquals(res.code, 1, res.stderr);
    assertStringIncludes(res.stderr, `Cannot check ${host}/a/b:${tag}: ${host} ${reason}`);
    assertStringIncludes(res.stderr, "report it to its operator");
  }
});
