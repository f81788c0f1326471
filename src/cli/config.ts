/**
 * `backend ...`, `login` and `logout`: the settings file and registry
 * credentials.
 * @module
 */
import { type Command, Option } from "@commander-js/extra-typings";
import {
  activate,
  addVariable,
  backendList,
  backendStatus,
  backendVariableName,
  deactivate,
  deleteBackend,
  removeVariable,
} from "../config/backends.ts";
import { readSecrets, writeSecrets } from "../config/secrets_file.ts";
import { login, logout, registryHost } from "../config/login.ts";
import { dockerConfigPath, secretsFilePath } from "../config/paths.ts";
import { UsageError } from "../errors.ts";
import { hubEndpoint, parseMirrors } from "../registry/mirrors.ts";
import type { CliContext } from "./context.ts";
import { print, printErr } from "./output.ts";
import { readSecret } from "./prompt.ts";
import { unreadSettingWarning } from "./setting_names.ts";

/** The registry host typed to login/logout (a URL is taken as its host), as a usage error. */
function hostOf(typed: string): { host: string; plainHttp: boolean } {
  try {
    return registryHost(typed);
  } catch (e) {
    throw new UsageError(`Cannot log in: ${(e as Error).message.replace(/^login: /, "")}`);
  }
}

/**
 * Refuses a registry address `backend add` would store and the registry
 * client could not use (`config/` may not read `registry/`, so the check is here).
 * @throws {UsageError} naming the variable and what it takes
 */
function checkEndpointValue(backend: string, name: string, value: string): void {
  const parse = {
    SREGISTRY_DOCKERHUB_BASE: () => hubEndpoint(value, false),
    SREGISTRY_DOCKERHUB_MIRROR: () =>
      parseMirrors(value.split(",").map((m) => m.trim()).filter((m) => m !== "")),
  }[name];
  try {
    parse?.();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    throw new UsageError(
      `Cannot add ${name}="${value}" to backend "${backend}": it is not a host[:port] or an http(s)://host[:port] URL${
        name.endsWith("MIRROR") ? " (or a comma-separated list of them)" : ""
      }: give one`,
    );
  }
}

/** Adds `backend`, `login` and `logout`. */
export function addConfigCommands(program: Command, ctx: () => CliContext): void {
  const backend = program.command("backend")
    .description("show or change settings in the settings file (SREGISTRY_CLIENT_SECRETS)");
  // The backend commands read the file itself, never the settings made from
  // it: a bad value stored there must not stop the commands that fix it.
  const secretsPath = () => secretsFilePath(ctx().env);
  const edit = (change: (data: Record<string, unknown>) => Record<string, unknown>) => {
    const file = readSecrets(secretsPath());
    writeSecrets({ ...file, data: change(file.data) });
  };
  backend.command("ls").description("list backends, or one backend's settings (secrets masked)")
    .argument("[backend]").option("--reveal", "show secret values")
    .action((name, opts) => {
      const file = readSecrets(secretsPath());
      for (const line of backendList(file.data, name, { reveal: opts.reveal })) print(line);
    });
  backend.command("status").description("the active backend")
    .action(() => {
      for (const line of backendStatus(readSecrets(secretsPath()).data)) print(line);
    });
  backend.command("activate").argument("<backend>").description("make a backend the default")
    .action((name) => edit((d) => activate(d, name)));
  backend.command("deactivate").description("remove the default backend")
    .action(() => edit(deactivate));
  backend.command("add").description("store a setting: backend add docker SREGISTRY_DOCKER_CMD yes")
    .argument("<backend>").argument("<variable>").argument("<value>")
    .option("-f, --force", "overwrite an existing value")
    .action((name, variable, value, opts) => {
      checkEndpointValue(name, backendVariableName(name, variable), value);
      edit((d) => addVariable(d, name, variable, value, opts.force ?? false));
      const warning = unreadSettingWarning(backendVariableName(name, variable));
      if (warning) printErr(warning);
    });
  backend.command("remove").alias("rm").description("remove a stored setting")
    .argument("<backend>").argument("<variable>")
    .action((name, variable) => edit((d) => removeVariable(d, name, variable)));
  backend.command("delete").description("remove a backend and its settings")
    .argument("<backend>")
    .action((name) => edit((d) => deleteBackend(d, name)));

  program.command("login").description("store credentials for a registry in the docker config file")
    .argument("[registry]", "registry host", "docker.io")
    .option("-u, --username <name>", "user name")
    .addOption(new Option("--password-stdin", "read the password from standard input"))
    .option("--no-https", "talk plain HTTP to the registry")
    .action(async (typed, opts) => {
      const c = ctx();
      const { host: registry, plainHttp } = hostOf(typed);
      const username = opts.username ??
        (Deno.stdin.isTerminal() ? await readSecret("Username: ", { echo: true }) : "");
      if (!username) throw new UsageError("Cannot log in: no user name given: pass --username");
      const password = await readSecret("Password: ", { echo: false, stdin: opts.passwordStdin });
      if (!password) {
        const piped = opts.passwordStdin || !Deno.stdin.isTerminal();
        throw new UsageError(
          `Cannot log in to ${registry}: no password given${
            piped ? " (nothing came on standard input)" : ""
          }: ${
            piped
              ? `pipe it with --password-stdin, e.g. sregistry login -u ${username} --password-stdin ${registry} < token.txt`
              : "type it at the prompt"
          }`,
        );
      }
      const path = dockerConfigPath(c.env);
      await c.verifyLogin(registry, { username, password }, opts.https === false || plainHttp);
      login(path, registry, username, password);
      printErr(`Login Succeeded: credentials for ${registry} saved in ${path}`);
    });
  program.command("logout").description("remove stored credentials for a registry")
    .argument("[registry]", "registry host", "docker.io")
    .action((typed) => {
      const registry = hostOf(typed).host;
      const path = dockerConfigPath(ctx().env);
      const removed = logout(path, registry);
      printErr(
        removed
          ? `Removed credentials for ${registry} from ${path}`
          : `No credentials for ${registry} in ${path}`,
      );
    });
}
