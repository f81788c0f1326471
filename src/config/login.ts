/**
 * `sregistry login` / `logout`: edit a docker-compatible config file
 * (`dockerConfigPath(env)`: `$DOCKER_CONFIG/config.json` or
 * `~/.docker/config.json`), keeping every other key, written atomically with
 * mode 0600. Docker Hub is stored under `https://index.docker.io/v1/` as
 * docker does. Checking the credentials against the registry is the
 * caller's job.
 * @module
 */
import { parseDocument } from "../document.ts";
import { SregistryError } from "../errors.ts";
import { DockerConfigSchema } from "./_schemas.ts";
import { writeFileAtomic } from "../store/atomic_file.ts";
import { matchingKeys, storageKey } from "./_docker_config.ts";

/** What `login` did. */
export interface LoginResult {
  /** The file written. */
  path: string;
  /** The `auths` key written. */
  key: string;
  /**
   * A credential helper the file names for this host (`credHelpers`), which
   * is asked first, so the stored password is not used while it stays.
   */
  shadowedBy?: string;
}

type Json = Record<string, unknown>;

function readConfig(path: string): Json {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return {};
    throw new SregistryError(
      `Cannot read ${path}: ${(e as Error).message}: check its permissions or set DOCKER_CONFIG`,
      { cause: e },
    );
  }
  if (text.trim() === "") return {};
  return parseDocument(text, DockerConfigSchema, {
    kind: "docker-config",
    origin: path,
    fix: "fix it, or move it away and log in again",
  });
}

function auths(config: Json): Record<string, unknown> {
  const value = config.auths;
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? { ...value as Json }
    : {};
}

function writeConfig(path: string, config: Json): void {
  try {
    writeFileAtomic(path, JSON.stringify(config, null, "\t") + "\n", {
      mode: 0o600,
      fsync: true,
      dirMode: 0o700,
    });
  } catch (e) {
    throw new SregistryError(
      `Cannot write ${path}: ${
        (e as Error).message
      }: check that its folder is writable, or set DOCKER_CONFIG`,
      { cause: e },
    );
  }
}

/**
 * The registry `login`/`logout` were given, as a host: `https://ghcr.io/`,
 * `ghcr.io/v2/` and `ghcr.io` all give `ghcr.io` (docker takes URLs the same
 * way); `http://host` also asks for plain HTTP.
 *
 * @param registry what the user typed
 * @returns the host (with its port) and whether `http://` was given
 * @throws {TypeError} when no host is left, or it holds spaces
 */
export function registryHost(registry: string): { host: string; plainHttp: boolean } {
  const text = registry.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  const host = text.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").replace(/\/.*$/, "");
  if (host === "" || /\s/.test(host) || (scheme && scheme !== "http" && scheme !== "https")) {
    throw new TypeError(`login: "${registry}" is not a registry host (e.g. ghcr.io)`);
  }
  return { host, plainHttp: scheme === "http" };
}

function checkHost(host: string): void {
  if (host.trim() === "" || /[\s/]/.test(host.replace(/^https?:\/\//, "").replace(/\/.*$/, ""))) {
    throw new TypeError(`login: "${host}" is not a registry host`);
  }
}

/**
 * Stores `username:password` for `host` (base64, docker's `auth` field),
 * replacing any other entry for the same host.
 *
 * @param configPath the docker config file
 * @param host a registry host (`ghcr.io`, `localhost:5000`, `docker.io`)
 * @throws {TypeError} for an empty host or user name, or a user name with ":"
 * @throws {SregistryError} when the file cannot be read or written
 */
export function login(
  configPath: string,
  host: string,
  username: string,
  password: string,
): LoginResult {
  checkHost(host);
  if (username === "" || username.includes(":")) {
    throw new TypeError("login: the user name must not be empty or contain ':'");
  }
  const config = readConfig(configPath);
  const entries = auths(config);
  for (const key of matchingKeys(entries, host)) delete entries[key];
  const bare = host.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  const key = storageKey(bare);
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  entries[key] = { auth: btoa(String.fromCharCode(...bytes)) };
  writeConfig(configPath, { ...config, auths: entries });
  const helpers = config.credHelpers as Json | undefined;
  const helperKey = helpers && typeof helpers === "object"
    ? matchingKeys(helpers, bare)[0]
    : undefined;
  const helper = helperKey ? helpers![helperKey] : undefined;
  return { path: configPath, key, ...(typeof helper === "string" ? { shadowedBy: helper } : {}) };
}

/**
 * Removes every `auths` entry for `host`.
 *
 * @returns whether an entry was removed (the file is not written otherwise)
 * @throws {SregistryError} when the file cannot be read or written
 */
export function logout(configPath: string, host: string): boolean {
  checkHost(host);
  const config = readConfig(configPath);
  const entries = auths(config);
  const bare = host.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  const keys = matchingKeys(entries, bare);
  if (keys.length === 0) return false;
  for (const key of keys) delete entries[key];
  writeConfig(configPath, { ...config, auths: entries });
  return true;
}
