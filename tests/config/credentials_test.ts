import { assert, assertEquals, assertRejects, assertStringIncludes } from "../_assert.ts";
import { SregistryError } from "../../src/errors.ts";
import { credentialLookup } from "../../src/config/credentials.ts";
import { loadSettings } from "../../src/config/settings.ts";
import { tempDir } from "./_temp.ts";

const b64 = (s: string) => btoa(s);
type Env = Record<string, string | undefined>;

function write(path: string, value: unknown): void {
  Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  Deno.writeTextFileSync(path, typeof value === "string" ? value : JSON.stringify(value));
}

function lookupFor(env: Env, extra: Partial<Parameters<typeof credentialLookup>[0]> = {}) {
  return credentialLookup({ env, settings: loadSettings(env), ...extra });
}

/**
 * A real credential helper on PATH: answers from a table keyed by server URL,
 * logs each server URL it was asked for, and fails like the real ones.
 */
function installHelper(dir: string, name: string): { log: string } & Disposable {
  const log = `${dir}/${name}.log`;
  Deno.mkdirSync(`${dir}/bin`, { recursive: true });
  Deno.writeTextFileSync(
    `${dir}/bin/docker-credential-${name}`,
    `#!/bin/sh
[ "$1" = get ] || exit 2
read -r server
echo "$server" >> ${log}
case "$server" in
  helped.example) echo '{"ServerURL":"helped.example","Username":"helper-user","Secret":"helper-pass"}' ;;
  https://index.docker.io/v1/) echo '{"ServerURL":"x","Username":"<token>","Secret":"hub-refresh-token"}' ;;
  broken.example) echo "leaked-helper-secret"; echo "leaked-helper-secret" >&2; exit 3 ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`,
    { mode: 0o755 },
  );
  const oldPath = Deno.env.get("PATH") ?? "";
  Deno.env.set("PATH", `${dir}/bin:${oldPath}`);
  return { log, [Symbol.dispose]: () => Deno.env.set("PATH", oldPath) };
}

const asked = (log: string) => Deno.readTextFileSync(log).trim().split("\n");

Deno.test("credentialLookup() prefers the environment pair, for any registry pulled from", async () => {
  using tmp = tempDir();
  const HOME = tmp.path;
  write(`${HOME}/.docker/config.json`, { auths: { "ghcr.io": { auth: b64("file:pass") } } });
  const env = {
    HOME,
    SINGULARITY_DOCKER_USERNAME: "sing",
    SINGULARITY_DOCKER_PASSWORD: "sing-pass",
  };
  const lookup = lookupFor(env);
  assertEquals(await lookup("ghcr.io"), { username: "sing", password: "sing-pass" });
  assertEquals(await lookup("registry-1.docker.io"), { username: "sing", password: "sing-pass" });
  assertEquals(await lookupFor({ HOME })("ghcr.io"), { username: "file", password: "pass" });
});

Deno.test("credentialLookup() uses SREGISTRY_NVIDIA_* for nvcr.io only, with $oauthtoken", async () => {
  using tmp = tempDir();
  const lookup = lookupFor({ HOME: tmp.path, SREGISTRY_NVIDIA_TOKEN: "ngc-key" });
  assertEquals(await lookup("nvcr.io"), { username: "$oauthtoken", password: "ngc-key" });
  assertEquals(await lookup("ghcr.io"), undefined);
});

Deno.test("credentialLookup() reads config.json auths by host, https://host and Docker Hub's key", async () => {
  using tmp = tempDir();
  const HOME = tmp.path;
  write(`${HOME}/.docker/config.json`, {
    auths: {
      "https://index.docker.io/v1/": { auth: b64("hubuser:hub:pass") },
      "localhost:5000": { auth: b64("local:pw") },
      "https://ghcr.io": { auth: b64("gh:pw") },
      "http://quay.io/v2/": { username: "q", password: "qp" },
      "tokened.example": { auth: b64("tok-user:"), identitytoken: "refresh-123" },
      "empty.example": {},
    },
    HttpHeaders: { "User-Agent": "x" },
  });
  const lookup = lookupFor({ HOME });
  const cases: [string, unknown][] = [
    ["registry-1.docker.io", { username: "hubuser", password: "hub:pass" }],
    ["docker.io", { username: "hubuser", password: "hub:pass" }],
    ["index.docker.io", { username: "hubuser", password: "hub:pass" }],
    ["localhost:5000", { username: "local", password: "pw" }],
    ["ghcr.io", { username: "gh", password: "pw" }],
    ["quay.io", { username: "q", password: "qp" }],
    ["tokened.example", { username: "tok-user", identityToken: "refresh-123" }],
    ["empty.example", undefined],
    ["localhost:5001", undefined],
  ];
  for (const [host, expected] of cases) assertEquals(await lookup(host), expected, host);
});

Deno.test("credentialLookup() honours DOCKER_CONFIG, and SREGISTRY_DOCKERHUB_SECRETS over both", async () => {
  using tmp = tempDir();
  const HOME = tmp.path;
  write(`${HOME}/.docker/config.json`, { auths: { "r.example": { auth: b64("home:1") } } });
  write(`${HOME}/dc/config.json`, { auths: { "r.example": { auth: b64("dockerconfig:2") } } });
  write(`${HOME}/explicit.json`, { auths: { "r.example": { auth: b64("explicit:3") } } });
  const dockerConfig = { HOME, DOCKER_CONFIG: `${HOME}/dc` };
  assertEquals((await lookupFor(dockerConfig)("r.example"))?.username, "dockerconfig");
  const explicit = { ...dockerConfig, SREGISTRY_DOCKERHUB_SECRETS: `${HOME}/explicit.json` };
  assertEquals((await lookupFor(explicit)("r.example"))?.username, "explicit");
  const missing = { HOME, SREGISTRY_DOCKERHUB_SECRETS: `${HOME}/nope.json` };
  await assertRejects(() => lookupFor(missing)("r.example"), SregistryError, "nope.json");
});

Deno.test("credentialLookup() never puts a bad auth value in its error", async () => {
  using tmp = tempDir();
  const HOME = tmp.path;
  const cases = [
    ["not*base64!s3cret-value", "is not base64"],
    [b64("no-colon-s3cret-value"), 'not "user:password"'],
  ];
  for (const [auth, message] of cases) {
    write(`${HOME}/.docker/config.json`, { auths: { "bad.example": { auth } } });
    const e = await assertRejects(
      () => lookupFor({ HOME })("bad.example"),
      SregistryError,
      message,
    );
    assertStringIncludes(e.message, `${HOME}/.docker/config.json`);
    assertStringIncludes(e.message, "bad.example");
    assert(!e.message.includes(auth) && !e.message.includes("s3cret"), e.message);
    assert(e.cause === undefined);
  }
  write(`${HOME}/.docker/config.json`, '{"auths": {"x": {"auth": "s3cret"}');
  const e = await assertRejects(() => lookupFor({ HOME })("x"), SregistryError, "not JSON");
  assert(!e.message.includes("s3cret"));
});

Deno.test("credentialLookup() runs credHelpers and credsStore helpers from PATH", async () => {
  using tmp = tempDir();
  const HOME = tmp.path;
  using helper = installHelper(HOME, "test");
  write(`${HOME}/.docker/config.json`, {
    credHelpers: { "helped.example": "test" },
    auths: { "https://index.docker.io/v1/": {}, "helped.example": { auth: b64("shadowed:x") } },
    credsStore: "test",
  });
  const lookup = lookupFor({ HOME });
  assertEquals(await lookup("helped.example"), {
    username: "helper-user",
    password: "helper-pass",
  });
  assertEquals(await lookup("registry-1.docker.io"), { identityToken: "hub-refresh-token" });
  assertEquals(await lookup("docker.io"), { identityToken: "hub-refresh-token" });
  assertEquals(await lookup("unknown.example"), undefined);
  assertEquals(await lookup("helped.example"), {
    username: "helper-user",
    password: "helper-pass",
  });
  assertEquals(asked(helper.log), [
    "helped.example",
    "https://index.docker.io/v1/",
    "unknown.example",
  ], "the server URL on stdin, each host asked once");
});

Deno.test("credentialLookup() reports a failing helper without its output", async () => {
  using tmp = tempDir();
  const HOME = tmp.path;
  using _helper = installHelper(HOME, "test");
  write(`${HOME}/.docker/config.json`, { credsStore: "test" });
  const e = await assertRejects(
    () => lookupFor({ HOME })("broken.example"),
    SregistryError,
    "docker-credential-test: it exited with code 3",
  );
  assert(!e.message.includes("leaked-helper-secret"), e.message);
});

Deno.test("credentialLookup() warns and continues when a helper is not installed", async () => {
  using tmp = tempDir();
  const HOME = tmp.path;
  write(`${HOME}/.docker/config.json`, { credsStore: "desktop-not-installed-here" });
  write(`${HOME}/.config/containers/auth.json`, {
    auths: { "p.example": { auth: b64("pod:pw") } },
  });
  const warnings: string[] = [];
  const lookup = lookupFor({ HOME }, { warn: (m) => warnings.push(m) });
  assertEquals(await lookup("p.example"), { username: "pod", password: "pw" });
  assertEquals(warnings.length, 1);
  assertStringIncludes(warnings[0], "docker-credential-desktop-not-installed-here");
});

Deno.test("credentialLookup() reads podman auth.json after docker's config, in containers order", async () => {
  using tmp = tempDir();
  const HOME = tmp.path;
  write(`${HOME}/.docker/config.json`, { auths: { "d.example": { auth: b64("docker:1") } } });
  write(`${HOME}/run/containers/auth.json`, {
    auths: { "d.example": { auth: b64("xdg:2") }, "x.example": { auth: b64("xdg:2") } },
  });
  write(`${HOME}/.config/containers/auth.json`, {
    auths: { "x.example": { auth: b64("config:3") }, "c.example": { auth: b64("config:3") } },
  });
  write(`${HOME}/explicit-auth.json`, { auths: { "c.example": { auth: b64("explicit:4") } } });
  const env = { HOME, XDG_RUNTIME_DIR: `${HOME}/run` };
  const lookup = lookupFor(env);
  assertEquals((await lookup("d.example"))?.username, "docker");
  assertEquals((await lookup("x.example"))?.username, "xdg");
  assertEquals((await lookup("c.example"))?.username, "config");
  const explicit = lookupFor({ ...env, REGISTRY_AUTH_FILE: `${HOME}/explicit-auth.json` });
  assertEquals((await explicit("c.example"))?.username, "explicit");
  assertEquals(await explicit("x.example"), undefined, "REGISTRY_AUTH_FILE replaces the others");
});

Deno.test("credentialLookup() tells debug where a credential came from, never the secret", async () => {
  using tmp = tempDir();
  const HOME = tmp.path;
  write(`${HOME}/.docker/config.json`, { auths: { "d.example": { auth: b64("u:topsecret") } } });
  const lines: string[] = [];
  const lookup = lookupFor({ HOME }, { debug: (m) => lines.push(m) });
  await lookup("d.example");
  await lookup("none.example");
  assertEquals(lines, [
    `credentials for d.example from ${HOME}/.docker/config.json`,
    "no credentials for none.example; pulling anonymously",
  ]);
});
