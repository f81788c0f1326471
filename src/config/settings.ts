/**
 * One typed `Settings` object resolved from the environment and the settings
 * file, with the original's lookup rule: the environment first, then
 * `secrets[<client>][NAME]`, then the default. Variables of one backend
 * (`SREGISTRY_NVIDIA_*`, `SREGISTRY_DOCKERHUB_*`, `SREGISTRY_DOCKER_CMD`) are
 * also found in that backend's entry when another backend is active. Empty
 * values count as unset. Nothing is ever written back to the file (the
 * original persisted NVIDIA tokens found in the environment).
 * @module
 */
import { join, resolve } from "node:path";
import { parseBoolean } from "./booleans.ts";
import { expandHome, homeDir, nonEmpty, secretsFilePath } from "./paths.ts";
import type { SecretsFile } from "./secrets_file.ts";
import {
  parseBytes,
  parseChoice,
  parseCount,
  parseSeconds,
  SettingValueError,
} from "./_numbers.ts";
import { SregistryError, UsageError } from "../errors.ts";
import { apptainerValue } from "./apptainer_vars.ts";
import { activeClient, fromEntry, homeBackend, lookup } from "./_lookup.ts";

const COMPRESSIONS = ["gzip", "zstd", "lz4", "xz"] as const;
import {
  DEFAULT_JOBS,
  DEFAULT_MAX_LAYER_BYTES,
  DEFAULT_RETRIES,
  DEFAULT_TIMEOUT_S,
  SETTINGS_DOCS,
} from "./_settings_table.ts";

type Env = Record<string, string | undefined>;

/** Everything the tool reads from the environment and the settings file. */
export interface Settings {
  /** Active backend: `SREGISTRY_CLIENT`, the file's `SREGISTRY_CLIENT`, else `docker` (not validated here). */
  client: string;
  /** Folder of the catalogue database (`SREGISTRY_DATABASE`). */
  databaseDir: string;
  /** Storage root for images (`SREGISTRY_STORAGE`). */
  storageDir: string;
  /**
   * Parent of temporary folders: `SREGISTRY_TMPDIR`, `APPTAINER_TMPDIR`,
   * `SINGULARITY_TMPDIR`, `TMPDIR`, `/tmp`.
   */
  tmpDir: string;
  /** The temp folder the user chose with one of the three variables (not `TMPDIR`). */
  explicitTmpDir?: string;
  /** `SREGISTRY_DISABLE` or `APPTAINER_DISABLE_CACHE`/`SINGULARITY_DISABLE_CACHE`: no catalogue, no storage. */
  catalogueDisabled: boolean;
  /** `APPTAINER_DISABLE_CACHE`/`SINGULARITY_DISABLE_CACHE`: no layer cache either. */
  layerCacheDisabled: boolean;
  /** The settings file path (`SREGISTRY_CLIENT_SECRETS`). */
  secretsPath: string;
  /** Layers downloaded at once (`SREGISTRY_PYTHON_THREADS`). */
  jobs: number;
  /** `SREGISTRY_HTTPS_NOVERIFY`. */
  httpsNoVerify: boolean;
  /** Docker backend settings. */
  dockerhub: {
    base: string;
    version: string;
    noHttps: boolean;
    username?: string;
    password?: string;
    /** Which variables the username/password came from, e.g. `SINGULARITY_DOCKER_*`. */
    credentialSource?: string;
    /** `SREGISTRY_DOCKERHUB_SECRETS`: an explicit docker config file. */
    secretsPath?: string;
    mirrors: string[];
  };
  /** `SREGISTRY_DOCKER_CMD`. */
  dockerCmd: boolean;
  /** NVIDIA backend settings. */
  nvidia: { base: string; username: string; token?: string };
  /** Layer cache root (`APPTAINER_CACHEDIR`, `SINGULARITY_CACHEDIR`, `~/.singularity`). */
  cacheDir: string;
  /**
   * Notes for stderr about how variables were resolved, in Apptainer's words
   * (e.g. "Environment variable SINGULARITY_CACHEDIR is set, but
   * APPTAINER_CACHEDIR is preferred"). Never values.
   */
  notes: string[];
  retries: number;
  timeoutS: number;
  maxLayerBytes: number;
  /** `SREGISTRY_PROCESSORS`; unset means all. */
  processors?: number;
  /** Squashfs compression of native builds (`SREGISTRY_COMPRESSION`), default gzip. */
  compression: "gzip" | "zstd" | "lz4" | "xz";
  offline: boolean;
  /** `SREGISTRY_CA_FILE`. */
  caFile?: string;
}

/** The first variable pair with both a user name and a password. */
function envCredential(get: (name: string) => string | undefined) {
  for (const prefix of ["SREGISTRY_DOCKERHUB", "SINGULARITY_DOCKER", "APPTAINER_DOCKER"]) {
    const username = get(`${prefix}_USERNAME`);
    const password = get(`${prefix}_PASSWORD`);
    if (username && password) return { username, password, credentialSource: `${prefix}_*` };
  }
  return {};
}

function mirrors(value: string | undefined): string[] {
  return (value ?? "").split(",").map((m) => m.trim()).filter((m) => m !== "");
}

/**
 * Resolves every setting. Paths (`SREGISTRY_DATABASE`, `SREGISTRY_STORAGE`,
 * the temp and cache folders, `SREGISTRY_CA_FILE`, ...) are made absolute
 * here, once, against `cwd`: a relative value names a folder under the
 * folder the command ran in, and the catalogue records absolute paths.
 *
 * @param env the environment, e.g. `Deno.env.toObject()`
 * @param secrets the settings file, from `readSecrets(secretsFilePath(env))`
 * @param cwd the folder relative paths are taken from; default the current folder
 * @returns the settings
 * @throws {SettingValueError} (a {@linkcode UsageError}) when a variable of the
 *   environment is not a valid number or word
 * @throws {StoredSettingError} when the bad value is stored in the settings
 *   file: the message names the file and the `backend remove` command that fixes it
 * @example
 * ```ts
 * const settings = loadSettings({ HOME: "/home/me", SREGISTRY_PYTHON_THREADS: "2" });
 * settings.jobs; // 2
 * settings.databaseDir; // "/home/me/.singularity"
 * ```
 */
export function loadSettings(env: Env, secrets?: SecretsFile, cwd?: string): Settings {
  const data = secrets?.data ?? {};
  try {
    return resolveSettings(env, data, secrets?.path, cwd);
  } catch (e) {
    if (!(e instanceof SettingValueError) || nonEmpty(env[e.variable]) !== undefined) throw e;
    const client = activeClient(env, data);
    const home = homeBackend(e.variable);
    const backend = fromEntry(data, client, e.variable) !== undefined ? client : home ?? client;
    throw new StoredSettingError(e, secrets?.path ?? secretsFilePath(env), backend);
  }
}

/**
 * A bad value stored in the settings file: a failure (exit 1), not a usage
 * error, whose message names the file, the backend entry and the commands
 * that fix it (the `backend` commands never read the values, so they work).
 */
export class StoredSettingError extends SregistryError {
  /** The variable, e.g. `SREGISTRY_PYTHON_THREADS`. */
  readonly variable: string;
  /** The settings file. */
  readonly path: string;
  /** The backend entry holding the value. */
  readonly backend: string;
  constructor(fault: SettingValueError, path: string, backend: string) {
    super(
      `Cannot use ${fault.variable}="${fault.value}" stored in the settings file ${path} (backend "${backend}"): it is not ${fault.expected}: run "sregistry backend remove ${backend} ${fault.variable}", or "sregistry backend add --force ${backend} ${fault.variable} VALUE"`,
      { cause: fault },
    );
    this.variable = fault.variable;
    this.path = path;
    this.backend = backend;
  }
}

/**
 * Checks a value `backend add` is about to store, with the parser
 * {@linkcode loadSettings} reads it with.
 *
 * @param backend the backend entry, e.g. `docker`
 * @param variable the stored name, e.g. `SREGISTRY_PYTHON_THREADS`
 * @param value the value
 * @throws {UsageError} naming the variable and what it takes, when the value would be refused
 */
export function checkStoredSetting(backend: string, variable: string, value: string): void {
  try {
    resolveSettings(
      { HOME: "/", SREGISTRY_CLIENT: backend },
      {
        [backend]: { [variable]: value },
      },
      "/settings",
      "/",
    );
  } catch (e) {
    if (!(e instanceof SettingValueError)) throw e;
    throw new UsageError(
      `Cannot add ${variable}="${value}" to backend "${backend}": it is not ${e.expected}: give ${
        e.example ? `one, e.g. ${e.example}` : "one"
      }`,
    );
  }
}

function resolveSettings(
  env: Env,
  data: Record<string, unknown>,
  secretsPath: string | undefined,
  cwd = Deno.cwd(),
): Settings {
  const client = activeClient(env, data);
  const get = lookup(env, data, client);
  const abs = (value: string) => resolve(cwd, expandHome(value, env));
  const path = (name: string, fallback: string) => abs(get(name) ?? fallback);
  const home = homeDir(env);
  const singularityDir = join(home, ".singularity");
  const disable = apptainerValue(get, "DISABLE_CACHE");
  const disableCache = parseBoolean(disable.value);
  const tmp = apptainerValue(get, "TMPDIR", "SREGISTRY_TMPDIR");
  const cache = apptainerValue(get, "CACHEDIR");
  const jobs = get("SREGISTRY_PYTHON_THREADS");
  const retries = get("SREGISTRY_RETRIES");
  const timeout = get("SREGISTRY_TIMEOUT");
  const maxLayer = get("SREGISTRY_MAX_LAYER_SIZE");
  const processors = get("SREGISTRY_PROCESSORS");
  const compression = get("SREGISTRY_COMPRESSION");
  const dockerSecrets = get("SREGISTRY_DOCKERHUB_SECRETS");
  const caFile = get("SREGISTRY_CA_FILE");
  return {
    client,
    databaseDir: path("SREGISTRY_DATABASE", singularityDir),
    storageDir: path("SREGISTRY_STORAGE", join(singularityDir, "shub")),
    tmpDir: abs(tmp.value ?? nonEmpty(env.TMPDIR) ?? "/tmp"),
    ...(tmp.value ? { explicitTmpDir: abs(tmp.value) } : {}),
    catalogueDisabled: parseBoolean(get("SREGISTRY_DISABLE")) || disableCache,
    layerCacheDisabled: disableCache,
    secretsPath: abs(secretsPath ?? secretsFilePath(env)),
    jobs: jobs ? parseCount("SREGISTRY_PYTHON_THREADS", jobs, 1, 64) : DEFAULT_JOBS,
    httpsNoVerify: parseBoolean(get("SREGISTRY_HTTPS_NOVERIFY")),
    dockerhub: {
      base: get("SREGISTRY_DOCKERHUB_BASE") ?? "index.docker.io",
      version: get("SREGISTRY_DOCKERHUB_VERSION") ?? "v2",
      noHttps: parseBoolean(get("SREGISTRY_DOCKERHUB_NOHTTPS")),
      ...envCredential(get),
      ...(dockerSecrets ? { secretsPath: abs(dockerSecrets) } : {}),
      mirrors: mirrors(get("SREGISTRY_DOCKERHUB_MIRROR")),
    },
    dockerCmd: parseBoolean(get("SREGISTRY_DOCKER_CMD")),
    nvidia: {
      base: get("SREGISTRY_NVIDIA_BASE") ?? "nvcr.io",
      username: get("SREGISTRY_NVIDIA_USERNAME") ?? "$oauthtoken",
      ...(get("SREGISTRY_NVIDIA_TOKEN") ? { token: get("SREGISTRY_NVIDIA_TOKEN") } : {}),
    },
    cacheDir: abs(cache.value ?? singularityDir),
    notes: [...disable.notes, ...tmp.notes, ...cache.notes],
    retries: retries ? parseCount("SREGISTRY_RETRIES", retries, 0, 20) : DEFAULT_RETRIES,
    timeoutS: timeout ? parseSeconds("SREGISTRY_TIMEOUT", timeout) : DEFAULT_TIMEOUT_S,
    maxLayerBytes: maxLayer
      ? parseBytes("SREGISTRY_MAX_LAYER_SIZE", maxLayer)
      : DEFAULT_MAX_LAYER_BYTES,
    ...(processors ? { processors: parseCount("SREGISTRY_PROCESSORS", processors, 1, 4096) } : {}),
    compression: compression
      ? parseChoice("SREGISTRY_COMPRESSION", compression, COMPRESSIONS)
      : "gzip",
    offline: parseBoolean(get("SREGISTRY_OFFLINE")),
    ...(caFile ? { caFile: abs(caFile) } : {}),
  };
}

/**
 * The documented variables, for the README table: name, default, meaning.
 * The single source of that table.
 */
export function settingsTable(): { name: string; default: string; meaning: string }[] {
  return SETTINGS_DOCS.map((row) => ({ ...row }));
}

/** The README table as Markdown. */
export function settingsMarkdown(): string {
  const rows = settingsTable().map((r) => `| \`${r.name}\` | ${r.default} | ${r.meaning} |`);
  return ["| Variable | Default | Meaning |", "|---|---|---|", ...rows].join("\n");
}
