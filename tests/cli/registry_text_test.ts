/**
 * A registry's own words (the `message` of its JSON errors, an HTML title, a
 * plain-text body) reach the user's terminal in error messages: control
 * characters are shown as `\xNN`. Before, a registry or a proxy answering
 * `{"errors":[{"code":"DENIED","message":"\u001b]0;...\u0007"}]}` wrote its
 * escape sequences to the terminal. The same for `sregistry tags`: entries
 * of a tag list outside the tag grammar are left out. A real registry never
 * says such things: a small server in the test does.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";

const ESCAPES = "\x1b]0;pwned\x07\x1b[2J\r\nFAKE";

Deno.test("sregistry shows control characters of a registry's error text as \\xNN", async () => {
  const bodies = [
    {
      type: "application/json",
      body: JSON.stringify({ errors: [{ code: "DENIED", message: ESCAPES }] }),
    },
    { type: "text/html", body: `<html><title>${ESCAPES}</title></html>` },
    { type: "text/plain", body: ESCAPES },
  ];
  let answer = bodies[0];
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(answer.body, { status: 403, headers: { "content-type": answer.type } }),
  );
  await using home = await cliHome({ SREGISTRY_RETRIES: "0" });
  for (const b of bodies) {
    answer = b;
    const res = await home.run(["pull", `127.0.0.1:${server.addr.port}/a/b:c`]);
    assertEquals(res.code, 1, res.stderr);
    for (const c of ["\x1b", "\x07", "\r"]) {
      assert(!res.stderr.includes(c), `raw control characters: ${JSON.stringify(res.stderr)}`);
    }
    assertStringIncludes(res.stderr, "\\x1b]0;pwned\\x07\\x1b[2J");
  }
});

Deno.test("sregistry tags leaves out entries of a tag list that are not tags", async () => {
  const tags = ["v1", `v2${ESCAPES}`, "", 7, "latest", "x".repeat(129), "-bad"];
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) =>
      new URL(req.url).pathname.endsWith("/tags/list")
        ? Response.json({ name: "a/b", tags })
        : Response.json({}),
  );
  await using home = await cliHome({ SREGISTRY_RETRIES: "0" });
  const res = await home.run(["tags", `127.0.0.1:${server.addr.port}/a/b`]);
  assertEquals(res.code, 0, res.stderr);
  assertEquals(res.stdout.trim().split("\n").sort(), ["latest", "v1"]);
});
