/**
 * The documented settings: name, default and meaning of every variable
 * `loadSettings` reads. The README's table is generated from this list, and
 * a test checks that it names exactly what `loadSettings` reads.
 * @module
 */

/** One documented variable. */
export interface SettingDoc {
  name: string;
  default: string;
  meaning: string;
}

/** Default layer download concurrency (`SREGISTRY_PYTHON_THREADS`). */
export const DEFAULT_JOBS = 4;
/** Default retries of a failed request (`SREGISTRY_RETRIES`). */
export const DEFAULT_RETRIES = 3;
/** Default seconds a request may stall (`SREGISTRY_TIMEOUT`). */
export const DEFAULT_TIMEOUT_S = 30;
/** Default largest layer (`SREGISTRY_MAX_LAYER_SIZE`): 32 GiB. */
export const DEFAULT_MAX_LAYER_BYTES = 32 * 2 ** 30;

const BOOL = "yes/true/t/1/y in any case";

/** The table rows, in README order. */
export const SETTINGS_DOCS: readonly SettingDoc[] = Object.freeze([
  {
    name: "SREGISTRY_CLIENT",
    default: "`SREGISTRY_CLIENT` in the settings file, else `docker`",
    meaning: "backend for references without a `docker://` or `nvidia://` scheme",
  },
  {
    name: "SREGISTRY_CLIENT_SECRETS",
    default: "`~/.sregistry`",
    meaning: "the settings file (JSON, mode 0600); environment only",
  },
  {
    name: "SREGISTRY_DATABASE",
    default: "`~/.singularity`",
    meaning: "folder holding the catalogue `sregistry.db`",
  },
  {
    name: "SREGISTRY_STORAGE",
    default: "`~/.singularity/shub`",
    meaning: "where pulled images are stored (`<collection>/<image>/<tag>@<digest>.sif`)",
  },
  {
    name: "SREGISTRY_TMPDIR",
    default: "`APPTAINER_TMPDIR`, `SINGULARITY_TMPDIR`, `$TMPDIR`, else `/tmp`",
    meaning: "parent folder for temporary root filesystems and files (`--tmpdir` overrides)",
  },
  {
    name: "APPTAINER_TMPDIR",
    default: "`SINGULARITY_TMPDIR`",
    meaning: "Apptainer's temp folder, used when `SREGISTRY_TMPDIR` is not set",
  },
  {
    name: "SINGULARITY_TMPDIR",
    default: "unset",
    meaning: "the older name of `APPTAINER_TMPDIR`",
  },
  {
    name: "SREGISTRY_DISABLE",
    default: "false",
    meaning: `${BOOL}: no catalogue or storage; images are written where asked`,
  },
  {
    name: "APPTAINER_DISABLE_CACHE",
    default: "`SINGULARITY_DISABLE_CACHE`, else false",
    meaning: `${BOOL}: like SREGISTRY_DISABLE, and no layer cache (\`--disable-cache\`)`,
  },
  {
    name: "SINGULARITY_DISABLE_CACHE",
    default: "false",
    meaning: "the older name of `APPTAINER_DISABLE_CACHE` (the original's variable)",
  },
  {
    name: "APPTAINER_CACHEDIR",
    default: "`SINGULARITY_CACHEDIR`, else `~/.singularity`",
    meaning: "root of the layer cache (`<dir>/oci`): point it away from a small home quota",
  },
  {
    name: "SINGULARITY_CACHEDIR",
    default: "unset",
    meaning: "the older name of `APPTAINER_CACHEDIR` (the original's variable)",
  },
  {
    name: "SREGISTRY_PYTHON_THREADS",
    default: String(DEFAULT_JOBS),
    meaning:
      "layers downloaded at once, 1 to 64 (the original's default was 9 processes; 4 is as fast on one link and kinder to rate limits)",
  },
  {
    name: "SREGISTRY_RETRIES",
    default: String(DEFAULT_RETRIES),
    meaning: "retries of a request that failed for a temporary reason (0 to 20)",
  },
  {
    name: "SREGISTRY_TIMEOUT",
    default: String(DEFAULT_TIMEOUT_S),
    meaning:
      "seconds (0.001 to 2147483) a registry request may stall before it fails (and is retried)",
  },
  {
    name: "SREGISTRY_MAX_LAYER_SIZE",
    default: "32GiB",
    meaning: "largest layer to download, in bytes or with a unit (512M, 10GiB)",
  },
  {
    name: "SREGISTRY_PROCESSORS",
    default: "all",
    meaning:
      "processors the build may use: the native builder's compression Workers (at most 4) and `mksquashfs`",
  },
  {
    name: "SREGISTRY_PROGRESS_INTERVAL",
    default: "20",
    meaning:
      "seconds between heartbeat lines of a pull without a terminal (batch jobs, CI), taken between 1 and 2147483; environment only",
  },
  {
    name: "SREGISTRY_COMPRESSION",
    default: "gzip",
    meaning:
      "squashfs compression of the images sregistry builds (`--compression` overrides): gzip, which every runtime reads; zstd (level 3) builds faster and smaller where the kernel or squashfuse reads zstd; lz4; xz",
  },
  {
    name: "SREGISTRY_OFFLINE",
    default: "false",
    meaning: `${BOOL}: never use the network; only cached layers`,
  },
  {
    name: "SREGISTRY_HTTPS_NOVERIFY",
    default: "false",
    meaning: `${BOOL}: do not verify registry TLS certificates (unsafe)`,
  },
  {
    name: "SREGISTRY_CA_FILE",
    default: "unset",
    meaning: "PEM file of extra certificate authorities to trust (`DENO_CERT` also works)",
  },
  {
    name: "SREGISTRY_DOCKERHUB_BASE",
    default: "`index.docker.io`",
    meaning: "registry host for references without one",
  },
  {
    name: "SREGISTRY_DOCKERHUB_VERSION",
    default: "`v2`",
    meaning: "registry API version path segment",
  },
  {
    name: "SREGISTRY_DOCKERHUB_NOHTTPS",
    default: "false",
    meaning: `${BOOL}: use http:// for that registry (the original took any value)`,
  },
  {
    name: "SREGISTRY_DOCKERHUB_MIRROR",
    default: "unset",
    meaning: "comma-separated Docker Hub mirrors, tried in order before Docker Hub",
  },
  {
    name: "SREGISTRY_DOCKERHUB_USERNAME",
    default: "unset",
    meaning: "user name for the registry pulled from (with the password)",
  },
  {
    name: "SREGISTRY_DOCKERHUB_PASSWORD",
    default: "unset",
    meaning: "password or access token for the registry pulled from",
  },
  {
    name: "SINGULARITY_DOCKER_USERNAME",
    default: "unset",
    meaning: "used when the SREGISTRY_DOCKERHUB_ pair is not set",
  },
  { name: "SINGULARITY_DOCKER_PASSWORD", default: "unset", meaning: "goes with the user name" },
  {
    name: "APPTAINER_DOCKER_USERNAME",
    default: "unset",
    meaning: "used when neither pair above is set",
  },
  { name: "APPTAINER_DOCKER_PASSWORD", default: "unset", meaning: "goes with the user name" },
  {
    name: "SREGISTRY_DOCKERHUB_SECRETS",
    default: "`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`",
    meaning: "docker config file to read credentials from (`docker login`)",
  },
  {
    name: "SREGISTRY_DOCKER_CMD",
    default: "false",
    meaning: `${BOOL}: the runscript runs CMD instead of ENTRYPOINT + CMD`,
  },
  {
    name: "SREGISTRY_NVIDIA_BASE",
    default: "`nvcr.io`",
    meaning: "registry host for `nvidia://` references",
  },
  {
    name: "SREGISTRY_NVIDIA_USERNAME",
    default: "`$oauthtoken`",
    meaning: "user name for nvcr.io",
  },
  {
    name: "SREGISTRY_NVIDIA_TOKEN",
    default: "unset",
    meaning: "NGC API key for nvcr.io (never written to the settings file)",
  },
]);
