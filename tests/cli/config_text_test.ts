/**
 * Text from an image config that reaches the user's terminal or the build:
 * - `architecture` (or `os`, `variant`) with control characters: refused as
 *   a malformed config, naming the field. Before, the warning and the
 *   progress header wrote the config's escape sequences to the terminal.
 * - `created` that is not a time: refused as a malformed config, naming the
 *   field. Before: "Cannot complete the command: Not an RFC 3339 time: ...".
 * - labels, env, entrypoint with control characters (a newline in a label
 *   is legitimate): `inspect --summary` shows them as `\xNN`. Before, they
 *   went to the terminal raw.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { buildImage } from "../_images.ts";
import { pushImage, startRegistry } from "../_registry.ts";

const ESCAPES = "\x1b]0;pwned\x07\x1b[2J";
const entries = [{ name: "a.txt", content: "a\n" }];

Deno.test("sregistry pull refuses a config whose platform or created field is hostile, naming the field", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const cases = [
    {
      tag: "arch",
      image: await buildImage({
        layers: [{ entries }],
        platform: { os: "linux", architecture: `amd64${ESCAPES}` },
      }),
      field: "$.architecture holds control characters",
    },
    {
      tag: "created",
      image: await buildImage({ layers: [{ entries }], created: "yesterday" }),
      field: "$.created is not a date and time (RFC 3339)",
    },
  ];
  for (const c of cases) {
    await pushImage(reg, "test/text", c.tag, c.image);
    const res = await home.run(["pull", `${reg.host}/test/text:${c.tag}`]);
    assertEquals(res.code, 1, res.stderr);
    assertStringIncludes(res.stderr, "Cannot read the image config");
    assertStringIncludes(res.stderr, c.field);
    assert(
      !res.stderr.includes("\x1b"),
      `escape sequences on stderr: ${JSON.stringify(res.stderr)}`,
    );
  }
});

Deno.test("sregistry inspect --summary shows control characters of labels and env as \\xNN", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const image = await buildImage({
    layers: [{ entries }],
    config: {
      Env: [`PATH=/bin`, `X=a${ESCAPES}`],
      Labels: { [`key\n${ESCAPES}`]: "line 1\nline 2" },
      Entrypoint: ["/bin/sh", `\x9b31m`],
    },
  });
  await pushImage(reg, "test/labels", "v1", image);
  const ref = `${reg.host}/test/labels:v1`;
  assertEquals((await home.run(["pull", ref])).code, 0);
  const res = await home.run(["inspect", "--summary", ref]);
  assertEquals(res.code, 0, res.stderr);
  // deno-lint-ignore no-control-regex
  assert(!/[\x00-\x09\x0b-\x1f\x7f-\x9f]/.test(res.stdout), JSON.stringify(res.stdout));
  assertStringIncludes(res.stdout, "X=a\\x1b]0;pwned\\x07\\x1b[2J");
  assertStringIncludes(res.stdout, "key\\x0a\\x1b]0;pwned\\x07\\x1b[2J=line 1\\x0aline 2");
  assertStringIncludes(res.stdout, '["/bin/sh","\\x9b31m"]');
});
