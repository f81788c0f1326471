/**
 * `sregistry tags` against a registry whose `Link` header points back to the
 * page just read (`</v2/tagloop/tags/list?n=1&last=a>; rel="next"` again and
 * again): before, it followed the link with no output (1,135 requests in
 * 60 s, up to 10,000 pages, then printed a partial list with exit 0). Now it
 * stops at the repeated link, exit 1, naming the registry. The real registry
 * (distribution 2.8) never sends such a link: a small server in the test does.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";

Deno.test("sregistry tags fails on a next link that repeats a page", async () => {
  let requests = 0;
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => {
      if (!new URL(req.url).pathname.endsWith("/tags/list")) return Response.json({});
      requests++;
      return Response.json({ name: "tagloop", tags: ["a"] }, {
        headers: { link: '</v2/tagloop/tags/list?n=1&last=a>; rel="next"' },
      });
    },
  );
  const host = `127.0.0.1:${server.addr.port}`;
  await using home = await cliHome({ SREGISTRY_RETRIES: "0" });
  const res = await home.run(["tags", "--no-https", `${host}/tagloop`]);
  assertEquals(res.code, 1, res.stderr);
  assertStringIncludes(res.stderr, `the registry ${host} sent a next link to a page already read`);
  assertEquals(res.stdout, "");
  assert(requests <= 3, `${requests} requests`);
});
