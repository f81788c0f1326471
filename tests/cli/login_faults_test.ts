/**
 * `login`, `logout` and refused credentials, as users meet them: a URL given
 * as the registry ("unknown host https"), no password on a standard input
 * that is not a terminal ("empty password"), and a wrong password from
 * SREGISTRY_DOCKERHUB_PASSWORD whose advice was to run `sregistry login`
 * (which does not help while the variable is set). Also the messages of
 * failures that printed the usage text or a doubled "Cannot".
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { buildImage } from "../_images.ts";
import { pushImage, registryBinary, startRegistry } from "../_registry.ts";

const USER = "alice";
const PASSWORD = "s3cret-Pa55word";
const WRONG = "wrong-Pa55word-XYZ";

async function htpasswd(user: string, password: string): Promise<string> {
  const out = await new Deno.Command("htpasswd", { args: ["-nbB", user, password] }).output();
  return new TextDecoder().decode(out.stdout);
}

Deno.test({
  name:
    "login takes a URL's host; no password points to --password-stdin; a refused variable is named",
  ignore: registryBinary() === undefined,
  async fn() {
    await using reg = await startRegistry({ htpasswd: await htpasswd(USER, PASSWORD) });
    await using home = await cliHome();
    const image = await buildImage({ layers: [{ entries: [{ name: "p", content: "p\n" }] }] });
    await pushImage(reg, "private/img", "v1", image, { username: USER, password: PASSWORD });

    for (const typed of [`http://${reg.host}/`, `https://${reg.host}`, `${reg.host}/v2/`]) {
      const r = await home.run(["login", "--no-https", "-u", USER, "--password-stdin", typed], {
        stdin: PASSWORD,
      });
      assertEquals(r.code, 0, `${typed}: ${r.stderr}`);
      assertStringIncludes(r.stderr, `credentials for ${reg.host} saved`);
      const config = JSON.parse(Deno.readTextFileSync(`${home.home}/.docker/config.json`));
      assertEquals(Object.keys(config.auths), [reg.host]);
    }
    const out = await home.run(["logout", `https://${reg.host}/`]);
    assertStringIncludes(out.stderr, `Removed credentials for ${reg.host}`);

    const empty = await home.run(["login", "-u", USER, reg.host]); // stdin: /dev/null
    assertEquals(empty.code, 2, empty.stderr);
    assertStringIncludes(empty.stderr, "no password given (nothing came on standard input)");
    assertStringIncludes(empty.stderr, "--password-stdin");
    const bogus = await home.run(["login", "-u", USER, "ftp://x/"], { stdin: PASSWORD });
    assertEquals(bogus.code, 2, bogus.stderr);
    assertStringIncludes(bogus.stderr, '"ftp://x/" is not a registry host');

    const refused = await home.run(["pull", `${reg.host}/private/img:v1`], {
      env: { SREGISTRY_DOCKERHUB_USERNAME: USER, SREGISTRY_DOCKERHUB_PASSWORD: WRONG },
    });
    assertEquals(refused.code, 1, refused.stderr);
    assertStringIncludes(refused.stderr, "came from SREGISTRY_DOCKERHUB_*");
    assertStringIncludes(refused.stderr, "check them, or unset them");
    assert(!refused.stderr.includes(WRONG), "no secret printed");
  },
});

Deno.test("failures that are not usage errors print no usage text; no doubled Cannot", async () => {
  await using home = await cliHome();
  const labels = await home.run(["labels"]);
  assertEquals(labels.code, 1);
  assertStringIncludes(labels.stderr, "Cannot run sregistry labels: the docker backend");
  assert(!labels.stderr.includes("Usage:"), labels.stderr);
  const prune = await home.run(["cache", "prune", "--max-size", "lots"]);
  assertEquals(prune.code, 2);
  assertStringIncludes(prune.stderr, 'Cannot prune the cache: the size "lots" is not valid');
  assert(!prune.stderr.includes("Cannot read"), prune.stderr);
});
