/**
 * Docker-compatible credential files (`~/.docker/config.json`, podman's
 * `auth.json`): reading, finding a host's entry, decoding it. Pure apart from
 * `readAuthFile`. Messages name the file and host, never a credential.
 * @module
 */
import { parseDocument } from "../document.ts";
import { SregistryError } from "../errors.ts";
import { DockerConfigSchema } from "./_schemas.ts";

/** The same shape as `src/registry/auth.ts`'s `Credential`. */
export interface Credential {
  username?: string;
  password?: string;
  identityToken?: string;
}

/** The parts of a docker config file that hold credentials. */
export interface AuthFile {
  path: string;
  auths: Record<string, Record<string, unknown>>;
  credHelpers: Record<string, string>;
  credsStore?: string;
}

/** Docker Hub's names; its credentials are stored under `https://index.docker.io/v1/`. */
const DOCKER_HUB_HOSTS = new Set([
  "docker.io",
  "index.docker.io",
  "registry-1.docker.io",
  "registry.hub.docker.com",
]);

/** The key docker uses for Docker Hub in `auths` and for credential helpers. */
export const DOCKER_HUB_KEY = "https://index.docker.io/v1/";

/** Whether `host` is one of Docker Hub's names. */
export function isDockerHub(host: string): boolean {
  return DOCKER_HUB_HOSTS.has(host.toLowerCase());
}

/** The host of an `auths` key: `https://host/v1/` -> `host`; Docker Hub names -> `docker.io`. */
export function registryKeyHost(key: string): string {
  const host = key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").split("/")[0].toLowerCase();
  return isDockerHub(host) ? "docker.io" : host;
}

/** The key `docker login` stores `host` under, and the server URL given to helpers. */
export function storageKey(host: string): string {
  return isDockerHub(host) ? DOCKER_HUB_KEY : host.toLowerCase();
}

/**
 * Parses a config file's text against the docker config schema; `path` is
 * only for messages, which never quote the file.
 * @throws {DocumentError} when it is not JSON or an entry has the wrong type
 */
export function parseAuthFile(path: string, text: string): AuthFile {
  const root = parseDocument(text, DockerConfigSchema, {
    kind: "docker-config",
    origin: path,
    fix: "fix it, or move it away and log in again",
  });
  const credHelpers: Record<string, string> = {};
  for (const [key, value] of Object.entries(root.credHelpers ?? {})) {
    if (value !== "") credHelpers[key] = value;
  }
  const store = root.credsStore;
  return {
    path,
    auths: { ...root.auths },
    credHelpers,
    ...(store ? { credsStore: store } : {}),
  };
}

/** Reads a config file; `undefined` when it does not exist. */
export function readAuthFile(path: string): AuthFile | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw new SregistryError(
      `Cannot read credentials from ${path}: ${(e as Error).message}: check its permissions`,
      { cause: e },
    );
  }
  return parseAuthFile(path, text);
}

/**
 * The keys of `record` that stand for `host`, best first: the exact host,
 * `https://host`, Docker Hub's `https://index.docker.io/v1/`, then any key
 * whose host part matches (`http://host/v2/`, ...).
 */
export function matchingKeys(record: Record<string, unknown>, host: string): string[] {
  const wanted = registryKeyHost(host);
  const exact = [host, `https://${host}`, storageKey(host)].filter((k) => k in record);
  const loose = Object.keys(record).filter((k) => registryKeyHost(k) === wanted);
  return [...new Set([...exact, ...loose])];
}

function decodeBasic(value: string, where: string): Credential {
  let decoded: string;
  try {
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(value.trim())) throw new SyntaxError();
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(atob(value.trim()), (c) => c.charCodeAt(0)),
    );
  } catch {
    throw new SregistryError(
      `Cannot read credentials ${where}: its "auth" value is not base64: log in again to rewrite it`,
    );
  }
  const colon = decoded.indexOf(":");
  if (colon <= 0) {
    throw new SregistryError(
      `Cannot read credentials ${where}: its "auth" value is not "user:password" in base64: log in again to rewrite it`,
    );
  }
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The credential in an `auths` entry: `identitytoken` (with the user name
 * when present), else `auth` (base64 `user:password`), else `username` and
 * `password` fields. `undefined` for an empty entry (docker writes `{}` when
 * a credential store holds the secret).
 */
export function decodeAuthEntry(
  entry: Record<string, unknown>,
  file: string,
  host: string,
): Credential | undefined {
  const where = `for ${host} from ${file}`;
  const str = (key: string) =>
    typeof entry[key] === "string" && entry[key] !== "" ? entry[key] as string : undefined;
  const token = str("identitytoken");
  const auth = str("auth");
  const basic = auth ? decodeBasic(auth, where) : undefined;
  if (token) {
    const username = basic?.username ?? str("username");
    return { ...(username ? { username } : {}), identityToken: token };
  }
  if (basic) return basic;
  const username = str("username");
  const password = str("password");
  return username && password ? { username, password } : undefined;
}
