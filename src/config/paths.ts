/**
 * Where the settings and credential files live. Pure functions of the
 * environment; `$HOME` is honoured (the original used the passwd entry).
 * @module
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { SregistryError } from "../errors.ts";

type Env = Record<string, string | undefined>;

/** A value that is set and not empty, else `undefined`. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

/**
 * The home directory: `$HOME`, else the account's home.
 * @throws {SregistryError} when neither is known
 */
export function homeDir(env: Env): string {
  const home = nonEmpty(env.HOME);
  if (home) return home;
  try {
    const fromOs = homedir();
    if (fromOs) return fromOs;
  } catch {
    // fall through: no permission or no account entry
  }
  throw new SregistryError(
    "Cannot find the home directory: HOME is not set: set HOME, or set the SREGISTRY_* paths explicitly",
  );
}

/** Expands a leading `~` or `~/` to the home directory. */
export function expandHome(path: string, env: Env): string {
  if (path === "~") return homeDir(env);
  if (path.startsWith("~/")) return join(homeDir(env), path.slice(2));
  return path;
}

/**
 * The settings file: `$SREGISTRY_CLIENT_SECRETS` (made absolute against the
 * current folder), default `~/.sregistry`.
 */
export function secretsFilePath(env: Env): string {
  const set = nonEmpty(env.SREGISTRY_CLIENT_SECRETS);
  return set ? resolve(expandHome(set, env)) : join(homeDir(env), ".sregistry");
}

/** Docker's config file: `$DOCKER_CONFIG/config.json`, default `~/.docker/config.json`. */
export function dockerConfigPath(env: Env): string {
  const dir = nonEmpty(env.DOCKER_CONFIG);
  return join(dir ? expandHome(dir, env) : join(homeDir(env), ".docker"), "config.json");
}

/**
 * Podman/skopeo credential files, in the order containers-auth.json(5) reads
 * them: `$REGISTRY_AUTH_FILE` alone when set, else
 * `$XDG_RUNTIME_DIR/containers/auth.json` then `~/.config/containers/auth.json`.
 */
export function containersAuthPaths(env: Env): string[] {
  const explicit = nonEmpty(env.REGISTRY_AUTH_FILE);
  if (explicit) return [expandHome(explicit, env)];
  const paths: string[] = [];
  const runtime = nonEmpty(env.XDG_RUNTIME_DIR);
  if (runtime) paths.push(join(runtime, "containers", "auth.json"));
  paths.push(join(homeDir(env), ".config", "containers", "auth.json"));
  return paths;
}
