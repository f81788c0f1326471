/**
 * Every credential source, checked against a real registry with htpasswd
 * basic auth: the credential found must open `/v2/`, a wrong one must not.
 */
import { assertEquals } from "../_assert.ts";
import { registryBinary, startRegistry } from "../_registry.ts";
import { credentialLookup } from "../../src/config/credentials.ts";
import type { Credential } from "../../src/config/credentials.ts";
import { login } from "../../src/config/login.ts";
import { loadSettings } from "../../src/config/settings.ts";
import { tempDir } from "./_temp.ts";

const ignore = registryBinary() === undefined;

async function htpasswd(user: string, password: string): Promise<string> {
  const out = await new Deno.Command("htpasswd", { args: ["-nbB", user, password] }).output();
  return new TextDecoder().decode(out.stdout);
}

async function v2Status(url: string, credential: Credential | undefined): Promise<number> {
  const headers: Record<string, string> = {};
  if (credential?.username !== undefined && credential.password !== undefined) {
    headers.Authorization = "Basic " + btoa(`${credential.username}:${credential.password}`);
  }
  const res = await fetch(`${url}/v2/`, { headers });
  await res.body?.cancel();
  return res.status;
}

Deno.test({
  name: "credentialLookup() finds credentials the real registry accepts, from every source",
  ignore,
  async fn() {
    await using reg = await startRegistry({ htpasswd: await htpasswd("alice", "wonder:land") });
    using tmp = tempDir();
    const HOME = tmp.path;
    const helperDir = `${HOME}/bin`;
    Deno.mkdirSync(helperDir);
    Deno.writeTextFileSync(
      `${helperDir}/docker-credential-test`,
      `#!/bin/sh\nread -r s\n[ "$s" = "${reg.host}" ] || { echo "credentials not found"; exit 1; }\necho '{"Username":"alice","Secret":"wonder:land"}'\n`,
      { mode: 0o755 },
    );
    const oldPath = Deno.env.get("PATH") ?? "";
    Deno.env.set("PATH", `${helperDir}:${oldPath}`);
    try {
      const write = (path: string, value: unknown) => {
        Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
        Deno.writeTextFileSync(path, JSON.stringify(value));
      };
      write(`${HOME}/helper/config.json`, { credHelpers: { [reg.host]: "test" } });
      write(`${HOME}/store/config.json`, { credsStore: "test" });
      write(`${HOME}/podman/auth.json`, {
        auths: { [reg.host]: { auth: btoa("alice:wonder:land") } },
      });
      login(`${HOME}/login/config.json`, reg.host, "alice", "wonder:land");
      const sources: [string, Record<string, string>][] = [
        ["SREGISTRY_DOCKERHUB_*", {
          SREGISTRY_DOCKERHUB_USERNAME: "alice",
          SREGISTRY_DOCKERHUB_PASSWORD: "wonder:land",
        }],
        ["SINGULARITY_DOCKER_*", {
          SINGULARITY_DOCKER_USERNAME: "alice",
          SINGULARITY_DOCKER_PASSWORD: "wonder:land",
        }],
        ["APPTAINER_DOCKER_*", {
          APPTAINER_DOCKER_USERNAME: "alice",
          APPTAINER_DOCKER_PASSWORD: "wonder:land",
        }],
        ["login + DOCKER_CONFIG", { DOCKER_CONFIG: `${HOME}/login` }],
        ["SREGISTRY_DOCKERHUB_SECRETS", {
          SREGISTRY_DOCKERHUB_SECRETS: `${HOME}/login/config.json`,
        }],
        ["credHelpers", { DOCKER_CONFIG: `${HOME}/helper` }],
        ["credsStore", { DOCKER_CONFIG: `${HOME}/store` }],
        ["REGISTRY_AUTH_FILE", { REGISTRY_AUTH_FILE: `${HOME}/podman/auth.json` }],
      ];
      assertEquals(await v2Status(reg.url, undefined), 401, "the registry demands credentials");
      assertEquals(await v2Status(reg.url, { username: "alice", password: "wrong" }), 401);
      for (const [source, extra] of sources) {
        const env = { HOME, ...extra };
        const credential = await credentialLookup({ env, settings: loadSettings(env) })(reg.host);
        assertEquals(await v2Status(reg.url, credential), 200, source);
      }
    } finally {
      Deno.env.set("PATH", oldPath);
    }
  },
});
