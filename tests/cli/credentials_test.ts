/**
 * Credentials end to end through the CLI, against the real registry with
 * htpasswd basic auth: anonymous pulls are refused with advice to log in;
 * `login`/`logout`, environment variables, the docker config file and a
 * credential helper each let the pull through; the password never shows in
 * any output, `--debug` included.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { type CliHome, cliHome, type CliResult, RUN_FLAGS } from "../_cli.ts";
import { buildImage } from "../_images.ts";
import { exists } from "../_tree.ts";
import { pushImage, registryBinary, startRegistry } from "../_registry.ts";

const ignore = registryBinary() === undefined;
const USER = "alice";
const PASSWORD = "s3cret-Pa55word:with-colon";
const WRONG = "wrong-Pa55word-XYZ";

async function htpasswd(user: string, password: string): Promise<string> {
  const out = await new Deno.Command("htpasswd", { args: ["-nbB", user, password] }).output();
  return new TextDecoder().decode(out.stdout);
}

/** Fails when a secret, or its base64 form in an `auth` field, was printed. */
function assertNoSecret(r: CliResult, label: string): void {
  for (const secret of [PASSWORD, WRONG, btoa(`${USER}:${PASSWORD}`), btoa(`${USER}:${WRONG}`)]) {
    assert(!r.stdout.includes(secret) && !r.stderr.includes(secret), `${label} printed a secret`);
  }
}

Deno.test({
  name: "sregistry pull with credentials from login, environment, config.json and a helper",
  ignore,
  async fn() {
    await using reg = await startRegistry({ htpasswd: await htpasswd(USER, PASSWORD) });
    await using home = await cliHome();
    const auth = { username: USER, password: PASSWORD };
    await pushImage(
      reg,
      "private/img",
      "v1",
      await buildImage({
        layers: [{ entries: [{ name: "secret.txt", content: "private\n" }] }],
      }),
      auth,
    );
    const ref = `${reg.host}/private/img:v1`;
    const runs: [string, CliResult][] = [];
    const run = async (
      label: string,
      args: string[],
      options: Parameters<CliHome["run"]>[1] = {},
    ) => {
      const r = await home.run(args, options);
      runs.push([label, r]);
      return r;
    };
    const pullOk = async (label: string, env: Record<string, string> = {}) => {
      const r = await run(label, ["--debug", "pull", "--force", ref], { env });
      assertEquals(r.code, 0, `${label}: ${r.stderr}`);
      assert(r.stdout.trim().endsWith(".sif"), label);
    };
    const pullRefused = async (label: string, env: Record<string, string> = {}) => {
      const r = await run(label, ["--debug", "pull", ref], { env });
      assertEquals(r.code, 1, `${label}: ${r.stderr}`);
      assertStringIncludes(r.stderr, `sregistry login ${reg.host}`);
    };

    await pullRefused("anonymous");
    const config = `${home.home}/.docker/config.json`;

    const wrong = await run("wrong password", [
      "--debug",
      "login",
      "--username",
      USER,
      "--password-stdin",
      reg.host,
    ], {
      stdin: WRONG + "\n",
    });
    assertEquals(wrong.code, 1, wrong.stderr);
    assertStringIncludes(wrong.stderr, "Cannot log in");
    assertEquals(exists(config), false, "a refused login saves nothing");

    const login = await run("login", [
      "--debug",
      "login",
      "--username",
      USER,
      "--password-stdin",
      reg.host,
    ], {
      stdin: PASSWORD + "\n",
    });
    assertEquals(login.code, 0, login.stderr);
    assertEquals(Deno.statSync(config).mode! & 0o777, 0o600);
    const saved = JSON.parse(Deno.readTextFileSync(config));
    assertEquals(saved.auths[reg.host].auth, btoa(`${USER}:${PASSWORD}`));
    await pullOk("after login");
    // The file written by login also works when named by SREGISTRY_DOCKERHUB_SECRETS or DOCKER_CONFIG.
    Deno.mkdirSync(`${home.home}/elsewhere`);
    Deno.renameSync(config, `${home.home}/elsewhere/config.json`);
    await pullOk("DOCKER_CONFIG", { DOCKER_CONFIG: `${home.home}/elsewhere` });
    await pullOk("SREGISTRY_DOCKERHUB_SECRETS", {
      SREGISTRY_DOCKERHUB_SECRETS: `${home.home}/elsewhere/config.json`,
    });
    Deno.renameSync(`${home.home}/elsewhere/config.json`, config);

    const logout = await run("logout", ["logout", reg.host]);
    assertEquals(logout.code, 0, logout.stderr);
    assertEquals(JSON.parse(Deno.readTextFileSync(config)).auths?.[reg.host], undefined);
    await pullRefused("after logout");

    for (const prefix of ["SREGISTRY_DOCKERHUB", "SINGULARITY_DOCKER", "APPTAINER_DOCKER"]) {
      await pullOk(prefix, { [`${prefix}_USERNAME`]: USER, [`${prefix}_PASSWORD`]: PASSWORD });
    }
    const refusedEnv = await run("wrong env", ["--debug", "pull", ref], {
      env: { SREGISTRY_DOCKERHUB_USERNAME: USER, SREGISTRY_DOCKERHUB_PASSWORD: WRONG },
    });
    assertEquals(refusedEnv.code, 1);

    // A credential helper named by credHelpers, found on PATH.
    const bin = `${home.home}/bin`;
    Deno.mkdirSync(bin);
    Deno.writeTextFileSync(
      `${bin}/docker-credential-test`,
      `#!/bin/sh\n[ "$1" = get ] || exit 1\nread -r host\n[ "$host" = "${reg.host}" ] || { echo "credentials not found in native keychain"; exit 1; }\nprintf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASSWORD}"}\\n' "$host"\n`,
      { mode: 0o755 },
    );
    Deno.mkdirSync(`${home.home}/helper`);
    Deno.writeTextFileSync(
      `${home.home}/helper/config.json`,
      JSON.stringify({ credHelpers: { [reg.host]: "test" } }),
    );
    // Deno runs only the programs --allow-run names: a helper user adds theirs to the list.
    const helper = await runCli(["--debug", "pull", "--force", ref], {
      env: { ...home.env, DOCKER_CONFIG: `${home.home}/helper`, PATH: `${bin}:${home.env.PATH}` },
      flags: RUN_FLAGS.map((f) => f.startsWith("--allow-run=") ? `${f},docker-credential-test` : f),
    });
    runs.push(["credHelpers", helper]);
    assertEquals(helper.code, 0, `credHelpers: ${helper.stderr}`);

    for (const [label, r] of runs) assertNoSecret(r, label);
    assert(runs.length >= 10);
  },
});

/** Runs the CLI with these permission flags instead of the README's. */
async function runCli(
  args: string[],
  options: { env: Record<string, string>; flags: string[] },
): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...options.flags,
      new URL("../../main.ts", import.meta.url).pathname,
      ...args,
    ],
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}
