/**
 * The settings lookup rule: the environment first, then the active
 * client's entry of the settings file, then the variable's own backend entry
 * (`SREGISTRY_NVIDIA_*` in `nvidia`, `SREGISTRY_DOCKER*` in `docker`).
 * Empty values count as unset.
 * @module
 */
import { nonEmpty } from "./paths.ts";

type Env = Record<string, string | undefined>;

/** Backend entry a variable belongs to, besides the active client's. */
export function homeBackend(name: string): string | undefined {
  if (name.startsWith("SREGISTRY_NVIDIA_")) return "nvidia";
  if (name.startsWith("SREGISTRY_DOCKER")) return "docker";
  return undefined;
}

/** `name`'s value in the settings file's `backend` entry (numbers and booleans as text), if set. */
export function fromEntry(
  data: Record<string, unknown>,
  backend: string,
  name: string,
): string | undefined {
  const entry = data[backend];
  if (typeof entry !== "object" || entry === null) return undefined;
  const value = (entry as Record<string, unknown>)[name];
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return typeof value === "string" ? nonEmpty(value) : undefined;
}

/** The lookup: environment, then the active client's entry, then the variable's backend entry. */
export function lookup(
  env: Env,
  data: Record<string, unknown>,
  client: string,
): (name: string) => string | undefined {
  return (name: string): string | undefined => {
    const home = homeBackend(name);
    return nonEmpty(env[name]) ?? fromEntry(data, client, name) ??
      (home && home !== client ? fromEntry(data, home, name) : undefined);
  };
}

/** The active backend: `SREGISTRY_CLIENT` of the environment, else of the file, else `docker`. */
export function activeClient(env: Env, data: Record<string, unknown>): string {
  const fileClient = typeof data.SREGISTRY_CLIENT === "string"
    ? nonEmpty(data.SREGISTRY_CLIENT)
    : undefined;
  return (nonEmpty(env.SREGISTRY_CLIENT) ?? fileClient ?? "docker").trim().toLowerCase();
}
