/**
 * The `backend` subcommands as pure functions over the settings file's
 * data: they return new data (the input is not changed) or lines to print;
 * the caller writes the result with `writeSecrets`.
 * @module
 */
import { UsageError } from "../errors.ts";
import { checkStoredSetting } from "./settings.ts";

type Data = Record<string, unknown>;

/** The backends this tool pulls from. Other names are kept as keys but cannot be activated. */
export const SUPPORTED_BACKENDS: readonly string[] = Object.freeze(["docker", "nvidia"]);

const CLIENT_KEY = "SREGISTRY_CLIENT";
const MASK = "********";
/** Variable names whose values are secrets and are masked when listed. */
const SECRET_NAME = /(PASSWORD|TOKEN|_PASS$|SECRET$|_KEY$|CREDENTIAL)/i;

function backendNames(data: Data): string[] {
  return Object.keys(data).filter((key) => key !== CLIENT_KEY);
}

function section(data: Data, name: string): Record<string, unknown> | undefined {
  const value = data[name];
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

function sortedObject(obj: Record<string, unknown>, mask: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(obj).sort()) {
    out[key] = mask && SECRET_NAME.test(key) && obj[key] !== "" ? MASK : obj[key];
  }
  return out;
}

/**
 * `backend ls [name]`: without a name, the backends in the file, one per
 * line; with a name, that backend's variables as sorted JSON. Values of
 * variables named like secrets (`*PASSWORD*`, `*TOKEN*`, ...) are masked
 * unless `options.reveal` (the original printed them in clear).
 *
 * @throws {UsageError} when the named backend has no entry
 */
export function backendList(
  data: Data,
  name?: string,
  options: { reveal?: boolean } = {},
): string[] {
  if (name === undefined) return backendNames(data);
  const vars = section(data, name);
  if (!vars) {
    throw new UsageError(
      `Cannot list backend "${name}": it has no settings in the settings file: run "sregistry backend ls" to see the backends that have`,
    );
  }
  return JSON.stringify(sortedObject(vars, !options.reveal), null, 4).split("\n");
}

/**
 * `backend status`: how many backends have settings, and the active one.
 * (The original also counted the `SREGISTRY_CLIENT` key as a client.)
 */
export function backendStatus(data: Data): string[] {
  const count = backendNames(data).length;
  const active = data[CLIENT_KEY];
  return [
    `There ${count === 1 ? "is 1 client" : `are ${count} clients`} found in secrets.`,
    typeof active === "string" && active !== ""
      ? `active: ${active}`
      : "There is no active client (the default is docker).",
  ];
}

/** Normalises a backend name the way URI schemes are: lowercase, `_` to `-`, `shub` is `hub`. */
function normaliseBackend(name: string): string {
  const lower = name.trim().toLowerCase().replaceAll("_", "-");
  return lower === "shub" ? "hub" : lower;
}

/**
 * `backend activate <name>`: makes `name` the default backend.
 * @throws {UsageError} when `name` is not docker or nvidia
 */
export function activate(data: Data, name: string): Data {
  const backend = normaliseBackend(name);
  if (!SUPPORTED_BACKENDS.includes(backend)) {
    throw new UsageError(
      `Cannot activate backend "${name}": only ${
        SUPPORTED_BACKENDS.join(" and ")
      } are supported: run "sregistry backend activate docker"`,
    );
  }
  return { ...data, [CLIENT_KEY]: backend };
}

/** `backend deactivate`: removes the active backend (docker is then the default). */
export function deactivate(data: Data): Data {
  const { [CLIENT_KEY]: _, ...rest } = data;
  return rest;
}

/**
 * The stored name of `variable` for `backend`, the original's rule: uppercase
 * and prefixed with `SREGISTRY_<BACKEND>_` when missing (the backend is only
 * uppercased, so `google-drive` gives `SREGISTRY_GOOGLE-DRIVE_`). Two fixes:
 * the prefix check ignores case, and names already starting with
 * `SREGISTRY_`, `SINGULARITY_` or `APPTAINER_` are kept as given, so
 * `backend add docker SREGISTRY_DOCKERHUB_USERNAME me` stores that name.
 */
export function backendVariableName(backend: string, variable: string): string {
  const upper = variable.trim().toUpperCase();
  if (/^(SREGISTRY|SINGULARITY|APPTAINER)_/.test(upper)) return upper;
  return `SREGISTRY_${backend.toUpperCase()}_${upper}`;
}

/**
 * `backend add <backend> <variable> <value> [--force]`. The value is checked
 * with the parser `loadSettings` reads it with, so a bad one is refused here
 * rather than stored (where it would stop every command that reads settings).
 * @throws {UsageError} when the variable is set and `force` is false, or the
 *   value is not one the variable takes (`SREGISTRY_PYTHON_THREADS abc`)
 */
export function addVariable(
  data: Data,
  backend: string,
  variable: string,
  value: string,
  force = false,
): Data {
  if (backend.trim() === "" || backend === CLIENT_KEY || variable.trim() === "") {
    throw new UsageError(
      `Cannot add a variable: the backend and variable names must not be empty: run "sregistry backend add docker DOCKER_CMD yes"`,
    );
  }
  const name = backendVariableName(backend, variable);
  const vars = section(data, backend) ?? {};
  if (name in vars && !force) {
    throw new UsageError(
      `Cannot add ${name} to backend "${backend}": it is already set: pass --force to replace it`,
    );
  }
  checkStoredSetting(backend, name, value);
  return { ...data, [backend]: { ...vars, [name]: value } };
}

/**
 * `backend remove|rm <backend> <variable>`: removes the variable under its
 * given and its prefixed name.
 * @throws {UsageError} when neither is set
 */
export function removeVariable(data: Data, backend: string, variable: string): Data {
  const vars = { ...section(data, backend) };
  const names = [variable, variable.toUpperCase(), backendVariableName(backend, variable)];
  const found = names.filter((name) => name in vars);
  if (found.length === 0) {
    throw new UsageError(
      `Cannot remove ${
        backendVariableName(backend, variable)
      } from backend "${backend}": it is not set: run "sregistry backend ls ${backend}" to see what is`,
    );
  }
  for (const name of found) delete vars[name];
  return { ...data, [backend]: vars };
}

/**
 * `backend delete <name>`: removes the backend's settings, and deactivates
 * it when it was active.
 * @throws {UsageError} when the backend has no entry
 */
export function deleteBackend(data: Data, name: string): Data {
  if (name === CLIENT_KEY || !(name in data)) {
    throw new UsageError(
      `Cannot delete backend "${name}": it has no settings in the settings file: run "sregistry backend ls" to see the backends that have`,
    );
  }
  const { [name]: _, ...rest } = data;
  return rest[CLIENT_KEY] === name ? deactivate(rest) : rest;
}
