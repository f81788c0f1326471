import { assertEquals } from "../_assert.ts";
import {
  containersAuthPaths,
  dockerConfigPath,
  expandHome,
  homeDir,
  secretsFilePath,
} from "../../src/config/paths.ts";

Deno.test("secretsFilePath() and dockerConfigPath() honour $HOME and their variables", () => {
  const cases: [Record<string, string>, string, string][] = [
    [{ HOME: "/h" }, "/h/.sregistry", "/h/.docker/config.json"],
    [
      { HOME: "/h", SREGISTRY_CLIENT_SECRETS: "/etc/sr.json", DOCKER_CONFIG: "/d" },
      "/etc/sr.json",
      "/d/config.json",
    ],
    [
      { HOME: "/h", SREGISTRY_CLIENT_SECRETS: "~/x", DOCKER_CONFIG: "~/d" },
      "/h/x",
      "/h/d/config.json",
    ],
    [
      { HOME: "/h", SREGISTRY_CLIENT_SECRETS: "", DOCKER_CONFIG: " " },
      "/h/.sregistry",
      "/h/.docker/config.json",
    ],
  ];
  for (const [env, secrets, docker] of cases) {
    assertEquals(secretsFilePath(env), secrets, JSON.stringify(env));
    assertEquals(dockerConfigPath(env), docker, JSON.stringify(env));
  }
});

Deno.test("containersAuthPaths() follows containers-auth.json(5) order", () => {
  assertEquals(containersAuthPaths({ HOME: "/h" }), ["/h/.config/containers/auth.json"]);
  assertEquals(containersAuthPaths({ HOME: "/h", XDG_RUNTIME_DIR: "/run/user/1" }), [
    "/run/user/1/containers/auth.json",
    "/h/.config/containers/auth.json",
  ]);
  assertEquals(
    containersAuthPaths({ HOME: "/h", XDG_RUNTIME_DIR: "/r", REGISTRY_AUTH_FILE: "/a.json" }),
    ["/a.json"],
  );
});

Deno.test("homeDir() and expandHome() use $HOME, not the account's home", () => {
  assertEquals(homeDir({ HOME: "/not/passwd/home" }), "/not/passwd/home");
  assertEquals(expandHome("~", { HOME: "/h" }), "/h");
  assertEquals(expandHome("~/a/b", { HOME: "/h" }), "/h/a/b");
  assertEquals(expandHome("/abs/~/x", { HOME: "/h" }), "/abs/~/x");
  assertEquals(expandHome("~user/x", { HOME: "/h" }), "~user/x");
});
