import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { SregistryError } from "../../src/errors.ts";
import { login, logout } from "../../src/config/login.ts";
import { credentialLookup } from "../../src/config/credentials.ts";
import { loadSettings } from "../../src/config/settings.ts";
import { tempDir } from "./_temp.ts";

const read = (path: string) => JSON.parse(Deno.readTextFileSync(path));
const mode = (path: string) => Deno.statSync(path).mode! & 0o777;

Deno.test("login() creates the config file with mode 0600 and docker's keys", () => {
  using tmp = tempDir();
  const path = `${tmp.path}/.docker/config.json`;
  const result = login(path, "docker.io", "me", "p:w");
  assertEquals(result, { path, key: "https://index.docker.io/v1/" });
  login(path, "localhost:5000", "local", "pw");
  assertEquals(read(path), {
    auths: {
      "https://index.docker.io/v1/": { auth: btoa("me:p:w") },
      "localhost:5000": { auth: btoa("local:pw") },
    },
  });
  assertEquals(mode(path), 0o600);
  assertEquals([...Deno.readDirSync(`${tmp.path}/.docker`)].map((e) => e.name), ["config.json"]);
});

Deno.test("login() keeps other keys, replaces stale entries for the host and narrows the mode", () => {
  using tmp = tempDir();
  const path = `${tmp.path}/config.json`;
  Deno.writeTextFileSync(
    path,
    JSON.stringify({
      auths: {
        "ghcr.io": { auth: btoa("old:old") },
        "https://ghcr.io": { auth: btoa("older:older") },
        "quay.io": { auth: btoa("q:q") },
      },
      credHelpers: { "ghcr.io": "gh" },
      psFormat: "table {{.ID}}",
    }),
    { mode: 0o644 },
  );
  Deno.chmodSync(path, 0o644);
  const result = login(path, "ghcr.io", "new", "pw");
  assertEquals(result.shadowedBy, "gh");
  assertEquals(read(path), {
    auths: { "quay.io": { auth: btoa("q:q") }, "ghcr.io": { auth: btoa("new:pw") } },
    credHelpers: { "ghcr.io": "gh" },
    psFormat: "table {{.ID}}",
  });
  assertEquals(mode(path), 0o600);
});

Deno.test("login() writes what credentialLookup() reads back, with non-ASCII passwords", async () => {
  using tmp = tempDir();
  const HOME = tmp.path;
  login(`${HOME}/.docker/config.json`, "registry-1.docker.io", "me", "pässwörd");
  const env = { HOME };
  const lookup = credentialLookup({ env, settings: loadSettings(env) });
  assertEquals(await lookup("docker.io"), { username: "me", password: "pässwörd" });
});

Deno.test("logout() removes every entry for the host and keeps the rest", () => {
  using tmp = tempDir();
  const path = `${tmp.path}/config.json`;
  login(path, "docker.io", "me", "pw");
  login(path, "quay.io", "q", "pw");
  assertEquals(logout(path, "index.docker.io"), true);
  assertEquals(read(path), { auths: { "quay.io": { auth: btoa("q:pw") } } });
  assertEquals(logout(path, "docker.io"), false);
  assertEquals(logout(`${tmp.path}/missing.json`, "docker.io"), false);
  assertEquals([...Deno.readDirSync(tmp.path)].map((e) => e.name), ["config.json"]);
  assertEquals(mode(path), 0o600);
});

Deno.test("login() rejects bad arguments and unreadable files without echoing the password", () => {
  using tmp = tempDir();
  const path = `${tmp.path}/config.json`;
  assertThrows(() => login(path, "", "me", "pw"), TypeError);
  assertThrows(() => login(path, "ghcr.io", "a:b", "pw"), TypeError);
  Deno.writeTextFileSync(path, '{"auths": {"x": {"auth": "c2VjcmV0"}}');
  const e = assertThrows(() => login(path, "ghcr.io", "me", "hunter2"), SregistryError, path);
  assert(!e.message.includes("hunter2") && !e.message.includes("c2VjcmV0"));
});
