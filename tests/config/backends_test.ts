import { assert, assertEquals, assertStringIncludes, assertThrows } from "../_assert.ts";
import { UsageError } from "../../src/errors.ts";
import {
  activate,
  addVariable,
  backendList,
  backendStatus,
  backendVariableName,
  deactivate,
  deleteBackend,
  removeVariable,
} from "../../src/config/backends.ts";

const sample = () => ({
  SREGISTRY_CLIENT: "nvidia",
  nvidia: { SREGISTRY_NVIDIA_TOKEN: "ngc-secret", SREGISTRY_NVIDIA_USERNAME: "$oauthtoken" },
  docker: { SREGISTRY_DOCKER_CMD: "yes" },
});

Deno.test("backendList() lists backends, or one backend's sorted variables with secrets masked", () => {
  assertEquals(backendList(sample()), ["nvidia", "docker"]);
  const lines = backendList(sample(), "nvidia");
  assertEquals(
    lines.join("\n"),
    [
      "{",
      '    "SREGISTRY_NVIDIA_TOKEN": "********",',
      '    "SREGISTRY_NVIDIA_USERNAME": "$oauthtoken"',
      "}",
    ].join("\n"),
  );
  assertStringIncludes(backendList(sample(), "nvidia", { reveal: true }).join(""), "ngc-secret");
  assertThrows(() => backendList(sample(), "aws"), UsageError, 'backend "aws"');
});

Deno.test("backendStatus() counts backends (not the SREGISTRY_CLIENT key) and names the active one", () => {
  assertEquals(backendStatus(sample()), [
    "There are 2 clients found in secrets.",
    "active: nvidia",
  ]);
  assertEquals(backendStatus({ docker: {} }), [
    "There is 1 client found in secrets.",
    "There is no active client (the default is docker).",
  ]);
});

Deno.test("activate() accepts docker and nvidia only; deactivate() removes the key", () => {
  const data = sample();
  const activated = activate(data, "Docker");
  assertEquals(activated.SREGISTRY_CLIENT, "docker");
  assertEquals(data.SREGISTRY_CLIENT, "nvidia", "the input is not changed");
  for (const name of ["hub", "shub", "google-drive", "s3"]) {
    const e = assertThrows(() => activate(data, name), UsageError, "only docker and nvidia");
    assertStringIncludes(e.message, `"${name}"`);
  }
  assertEquals("SREGISTRY_CLIENT" in deactivate(data), false);
  assertEquals(deactivate({}), {});
});

Deno.test("backendVariableName() prefixes SREGISTRY_<BACKEND>_ when missing, uppercased", () => {
  const cases: [string, string, string][] = [
    ["docker", "cmd", "SREGISTRY_DOCKER_CMD"],
    ["docker", "SREGISTRY_DOCKER_CMD", "SREGISTRY_DOCKER_CMD"],
    ["docker", "sregistry_docker_cmd", "SREGISTRY_DOCKER_CMD"],
    // kept as given: the original turned this into SREGISTRY_DOCKER_SREGISTRY_DOCKERHUB_USERNAME
    ["docker", "SREGISTRY_DOCKERHUB_USERNAME", "SREGISTRY_DOCKERHUB_USERNAME"],
    // the original's quirk: DOCKERHUB_X under docker becomes SREGISTRY_DOCKER_DOCKERHUB_X
    ["docker", "DOCKERHUB_USERNAME", "SREGISTRY_DOCKER_DOCKERHUB_USERNAME"],
    ["nvidia", "token", "SREGISTRY_NVIDIA_TOKEN"],
    // the original's quirk: hyphens stay in the prefix
    ["google-drive", "root", "SREGISTRY_GOOGLE-DRIVE_ROOT"],
    ["docker", "SINGULARITY_DOCKER_USERNAME", "SINGULARITY_DOCKER_USERNAME"],
  ];
  for (const [backend, variable, expected] of cases) {
    assertEquals(backendVariableName(backend, variable), expected, `${backend} ${variable}`);
  }
});

Deno.test("addVariable() stores the prefixed name and refuses to overwrite without force", () => {
  const added = addVariable({}, "docker", "cmd", "yes");
  assertEquals(added, { docker: { SREGISTRY_DOCKER_CMD: "yes" } });
  const e = assertThrows(
    () => addVariable(sample(), "nvidia", "token", "new"),
    UsageError,
    "SREGISTRY_NVIDIA_TOKEN",
  );
  assertStringIncludes(e.message, "--force");
  assert(!e.message.includes("ngc-secret"), "the old value is not shown");
  const forced = addVariable(sample(), "nvidia", "token", "new", true);
  assertEquals((forced.nvidia as Record<string, string>).SREGISTRY_NVIDIA_TOKEN, "new");
  assertThrows(() => addVariable({}, "", "x", "y"), UsageError);
});

Deno.test("removeVariable() removes the given and the prefixed name", () => {
  const data = { docker: { SREGISTRY_DOCKER_CMD: "yes", cmd: "raw", OTHER: "1" } };
  assertEquals(removeVariable(data, "docker", "cmd"), { docker: { OTHER: "1" } });
  assertEquals(removeVariable(data, "docker", "SREGISTRY_DOCKER_CMD").docker, {
    cmd: "raw",
    OTHER: "1",
  });
  assertThrows(() => removeVariable(data, "docker", "nope"), UsageError, "SREGISTRY_DOCKER_NOPE");
  assertThrows(() => removeVariable(data, "nvidia", "token"), UsageError, "not set");
});

Deno.test("deleteBackend() removes the entry and deactivates it when active", () => {
  assertEquals(deleteBackend(sample(), "nvidia"), { docker: { SREGISTRY_DOCKER_CMD: "yes" } });
  assertEquals(deleteBackend(sample(), "docker").SREGISTRY_CLIENT, "nvidia");
  assertThrows(() => deleteBackend(sample(), "aws"), UsageError, 'backend "aws"');
  assertThrows(() => deleteBackend(sample(), "SREGISTRY_CLIENT"), UsageError);
});
