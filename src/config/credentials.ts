/**
 * Registry credentials, looked up per host in this order:
 *
 * 1. the environment (and the settings file, which acts as environment
 *    defaults): for the NVIDIA host (`SREGISTRY_NVIDIA_BASE`, nvcr.io)
 *    `SREGISTRY_NVIDIA_USERNAME`/`_TOKEN` when the token is set; otherwise
 *    the first complete pair of `SREGISTRY_DOCKERHUB_*`, `SINGULARITY_DOCKER_*`,
 *    `APPTAINER_DOCKER_*`. Like the original (which sent them to the one
 *    registry it pulled from) and like apptainer, that pair is offered to
 *    whatever registry is being pulled from, not only Docker Hub;
 * 2. the docker config file: `SREGISTRY_DOCKERHUB_SECRETS`, else
 *    `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`:
 *    `credHelpers[host]`, then the `auths` entry (`auth` or `identitytoken`),
 *    then `credsStore`. (Docker itself ignores `auths` entries when a store is
 *    set; an entry with a credential in it is explicit, so it wins here.)
 * 3. podman/skopeo `auth.json` files (`containersAuthPaths`), the same way.
 *
 * Each host is looked up once per lookup function. No secret appears in any
 * message.
 * @module
 */
import { SregistryError } from "../errors.ts";
import {
  type AuthFile,
  type Credential,
  decodeAuthEntry,
  isDockerHub,
  matchingKeys,
  readAuthFile,
  registryKeyHost,
  storageKey,
} from "./_docker_config.ts";
import { parseHelperOutput, type RunHelper, runHelperProgram } from "./_cred_helper.ts";
import { containersAuthPaths, dockerConfigPath } from "./paths.ts";
import type { Settings } from "./settings.ts";

export type { Credential } from "./_docker_config.ts";
export type { RunHelper } from "./_cred_helper.ts";
export { isDockerHub } from "./_docker_config.ts";

/** Options of {@linkcode credentialLookup}. */
export interface CredentialLookupOptions {
  env: Record<string, string | undefined>;
  settings: Settings;
  /** Runs a credential helper; default: `docker-credential-<helper> get` from `PATH`. */
  runHelper?: RunHelper;
  /** Told about problems that do not stop a pull (a helper that is not installed). */
  warn?: (message: string) => void;
  /** Told where a host's credential came from (never the credential). */
  debug?: (message: string) => void;
}

type Found = { credential: Credential; source: string };

function fromEnvironment(host: string, settings: Settings): Found | undefined {
  const { nvidia, dockerhub } = settings;
  if (nvidia.token && registryKeyHost(host) === registryKeyHost(nvidia.base)) {
    return {
      credential: { username: nvidia.username, password: nvidia.token },
      source: "SREGISTRY_NVIDIA_USERNAME/SREGISTRY_NVIDIA_TOKEN",
    };
  }
  if (dockerhub.username && dockerhub.password) {
    return {
      credential: { username: dockerhub.username, password: dockerhub.password },
      source: dockerhub.credentialSource ?? "the environment",
    };
  }
  return undefined;
}

async function fromHelper(
  opts: CredentialLookupOptions,
  helper: string,
  serverUrl: string,
  file: AuthFile,
): Promise<Found | undefined> {
  let output: string;
  try {
    output = await (opts.runHelper ?? runHelperProgram)(helper, serverUrl);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    opts.warn?.(
      `Cannot use credential helper docker-credential-${helper} named in ${file.path} for ${serverUrl}: docker-credential-${helper} is not on PATH: install it or add its folder to PATH, or remove it from that file (or log in with "sregistry login"); continuing without its credentials`,
    );
    return undefined;
  }
  const credential = parseHelperOutput(output, helper, serverUrl);
  return credential
    ? { credential, source: `docker-credential-${helper} (named in ${file.path})` }
    : undefined;
}

async function fromAuthFile(
  opts: CredentialLookupOptions,
  host: string,
  file: AuthFile,
): Promise<Found | undefined> {
  for (const key of matchingKeys(file.credHelpers, host)) {
    const found = await fromHelper(opts, file.credHelpers[key], storageKey(host), file);
    if (found) return found;
  }
  const keys = matchingKeys(file.auths, host);
  for (const key of keys) {
    const credential = decodeAuthEntry(file.auths[key], file.path, host);
    if (credential) return { credential, source: file.path };
  }
  if (file.credsStore) {
    return await fromHelper(opts, file.credsStore, keys[0] ?? storageKey(host), file);
  }
  return undefined;
}

function dockerConfig(opts: CredentialLookupOptions): AuthFile | undefined {
  const explicit = opts.settings.dockerhub.secretsPath;
  const file = readAuthFile(explicit ?? dockerConfigPath(opts.env));
  if (explicit && !file) {
    throw new SregistryError(
      `Cannot read credentials from ${explicit}: the file does not exist: fix --authfile or SREGISTRY_DOCKERHUB_SECRETS`,
    );
  }
  return file;
}

async function lookupHost(opts: CredentialLookupOptions, host: string) {
  const env = fromEnvironment(host, opts.settings);
  if (env) return env;
  const config = dockerConfig(opts);
  const fromConfig = config ? await fromAuthFile(opts, host, config) : undefined;
  if (fromConfig) return fromConfig;
  for (const path of containersAuthPaths(opts.env)) {
    const file = readAuthFile(path);
    const found = file ? await fromAuthFile(opts, host, file) : undefined;
    if (found) return found;
  }
  return undefined;
}

/**
 * Builds the credential lookup the registry client asks per host.
 *
 * @param opts the environment, the settings, and optional helper runner and callbacks
 * @returns `(host) => credential or undefined`, memoised per host
 * @throws {SregistryError} (from the returned function) when a credential file
 *   is unreadable or malformed, or a helper fails; the message names the file
 *   or helper and the host, never a secret
 * @example
 * ```ts
 * import { loadSettings } from "./settings.ts";
 * const env = Deno.env.toObject();
 * const lookup = credentialLookup({ env, settings: loadSettings(env) });
 * const credential = await lookup("ghcr.io");
 * ```
 */
export function credentialLookup(
  opts: CredentialLookupOptions,
): (host: string) => Promise<Credential | undefined> {
  const cache = new Map<string, Promise<Credential | undefined>>();
  return (host: string) => {
    const key = isDockerHub(host) ? "docker.io" : host.toLowerCase();
    let pending = cache.get(key);
    if (!pending) {
      pending = lookupHost(opts, host).then((found) => {
        opts.debug?.(
          found
            ? `credentials for ${host} from ${found.source}`
            : `no credentials for ${host}; pulling anonymously`,
        );
        return found?.credential;
      });
      cache.set(key, pending);
    }
    return pending;
  };
}
