/**
 * A docker config naming a credential helper that is not installed
 * (`credHelpers: {"host:port": "nonexist"}`): before, it was skipped
 * silently and the pull ended with a plain 401 "run sregistry login", even
 * with --debug. Now a warning names `docker-credential-nonexist`, says it is
 * not on PATH and what to do. A real registry with htpasswd basic auth.
 */
import { assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { registryBinary, startRegistry } from "../_registry.ts";

Deno.test({
  name: "sregistry pull names a credential helper that is not on PATH",
  ignore: registryBinary() === undefined,
  async fn() {
    const hash = await new Deno.Command("htpasswd", { args: ["-nbB", "alice", "secret"] })
      .output();
    await using reg = await startRegistry({ htpasswd: new TextDecoder().decode(hash.stdout) });
    await using home = await cliHome();
    const config = `${home.home}/docker`;
    Deno.mkdirSync(config, { recursive: true });
    Deno.writeTextFileSync(
      `${config}/config.json`,
      JSON.stringify({ credHelpers: { [reg.host]: "nonexist" } }),
    );
    const res = await home.run(["pull", "--no-https", `${reg.host}/a/b:v1`], {
      env: { DOCKER_CONFIG: config },
    });
    assertEquals(res.code, 1, res.stderr);
    assertStringIncludes(
      res.stderr,
      `Warning: Cannot use credential helper docker-credential-nonexist named in ${config}/config.json for ${reg.host}: docker-credential-nonexist is not on PATH`,
    );
    assertStringIncludes(res.stderr, "remove it from that file");
  },
});
