/**
 * What `--help` shows after each command's options: examples, and the
 * environment variables the command reads. One table for the whole tree, so
 * a test can check that every command has both and that every variable named
 * is one sregistry reads.
 * @module
 */

const CATALOGUE = [
  "SREGISTRY_DATABASE",
  "SREGISTRY_DISABLE",
  "APPTAINER_DISABLE_CACHE",
  "SINGULARITY_DISABLE_CACHE",
  "SREGISTRY_CLIENT_SECRETS",
];
const STORAGE = [...CATALOGUE, "SREGISTRY_STORAGE"];
const NETWORK = [
  "SREGISTRY_DOCKERHUB_BASE",
  "SREGISTRY_DOCKERHUB_NOHTTPS",
  "SREGISTRY_DOCKERHUB_MIRROR",
  "SREGISTRY_DOCKERHUB_USERNAME",
  "SREGISTRY_DOCKERHUB_PASSWORD",
  "SINGULARITY_DOCKER_USERNAME",
  "SINGULARITY_DOCKER_PASSWORD",
  "APPTAINER_DOCKER_USERNAME",
  "APPTAINER_DOCKER_PASSWORD",
  "SREGISTRY_DOCKERHUB_SECRETS",
  "DOCKER_CONFIG",
  "SREGISTRY_NVIDIA_BASE",
  "SREGISTRY_NVIDIA_USERNAME",
  "SREGISTRY_NVIDIA_TOKEN",
  "SREGISTRY_CA_FILE",
  "SREGISTRY_HTTPS_NOVERIFY",
  "SREGISTRY_RETRIES",
  "SREGISTRY_TIMEOUT",
  "HTTPS_PROXY",
  "HTTP_PROXY",
  "NO_PROXY",
  "SREGISTRY_CLIENT_SECRETS",
];
const CACHE = ["APPTAINER_CACHEDIR", "SINGULARITY_CACHEDIR", "SREGISTRY_CLIENT_SECRETS"];
const PULL = [
  ...STORAGE,
  ...CACHE,
  "SREGISTRY_TMPDIR",
  "APPTAINER_TMPDIR",
  "SINGULARITY_TMPDIR",
  "TMPDIR",
  "XDG_RUNTIME_DIR",
  "SREGISTRY_CLIENT",
  "SREGISTRY_PYTHON_THREADS",
  "SREGISTRY_MAX_LAYER_SIZE",
  "SREGISTRY_PROCESSORS",
  "SREGISTRY_COMPRESSION",
  "SREGISTRY_OFFLINE",
  "SREGISTRY_DOCKER_CMD",
  "SREGISTRY_DOCKERHUB_VERSION",
  "SOURCE_DATE_EPOCH",
  "SREGISTRY_PROGRESS_INTERVAL",
  ...NETWORK,
];
const SETTINGS_FILE = ["SREGISTRY_CLIENT_SECRETS", "SREGISTRY_CLIENT"];

/** Examples and variables of one command. */
export interface CommandHelp {
  examples: string[];
  env: string[];
}

/** Keyed by the command's path without the program name: "pull", "backend add". */
export const COMMAND_HELP: Readonly<Record<string, CommandHelp>> = Object.freeze({
  "version": { examples: ["sregistry version"], env: [] },
  "pull": {
    examples: [
      "sregistry pull busybox:latest",
      "sregistry pull ubuntu.sif docker://ubuntu:24.04          # as apptainer pull",
      "sregistry pull --arch arm64 --dir ~/images ghcr.io/org/tool:1.2",
      "sregistry pull --sandbox ./rootfs alpine",
      "sregistry pull oci-archive:image.tar --reference site/tool:1",
      "APPTAINER_CACHEDIR=/scratch/$USER/cache sregistry pull -F python:3.12",
    ],
    env: PULL,
  },
  "images": {
    examples: ["sregistry images", "sregistry images ubuntu --wide", "sregistry images --json"],
    env: CATALOGUE,
  },
  "get": {
    examples: ["sregistry get busybox", "apptainer shell $(sregistry get ubuntu:24.04)"],
    env: CATALOGUE,
  },
  "inspect": {
    examples: [
      "sregistry inspect --summary busybox",
      "sregistry inspect busybox@sha256:<hex>",
      "sregistry inspect 3             # an ID from sregistry images",
    ],
    env: CATALOGUE,
  },
  "rm": {
    examples: ["sregistry rm busybox", "sregistry rm --prune ubuntu:22.04"],
    env: [...CATALOGUE, ...CACHE],
  },
  "mv": { examples: ["sregistry mv busybox ~/images/"], env: CATALOGUE },
  "rename": { examples: ["sregistry rename busybox site/busybox:stable"], env: STORAGE },
  "add": {
    examples: [
      "sregistry add ./tool.sif --name site/tool:1",
      "sregistry add x.sif --name x --copy",
    ],
    env: STORAGE,
  },
  "backend": { examples: ["sregistry backend ls", "sregistry backend status"], env: SETTINGS_FILE },
  "backend ls": {
    examples: ["sregistry backend ls", "sregistry backend ls docker"],
    env: SETTINGS_FILE,
  },
  "backend status": { examples: ["sregistry backend status"], env: SETTINGS_FILE },
  "backend activate": { examples: ["sregistry backend activate docker"], env: SETTINGS_FILE },
  "backend deactivate": { examples: ["sregistry backend deactivate"], env: SETTINGS_FILE },
  "backend add": {
    examples: [
      "sregistry backend add docker SREGISTRY_DOCKERHUB_MIRROR mirror.example.org",
      "sregistry backend add docker APPTAINER_CACHEDIR /scratch/$USER/cache",
    ],
    env: SETTINGS_FILE,
  },
  "backend remove": {
    examples: ["sregistry backend remove docker SREGISTRY_DOCKERHUB_MIRROR"],
    env: SETTINGS_FILE,
  },
  "backend delete": { examples: ["sregistry backend delete nvidia"], env: SETTINGS_FILE },
  "login": {
    examples: [
      "sregistry login ghcr.io -u me --password-stdin < token.txt",
      "sregistry login            # Docker Hub",
    ],
    env: NETWORK,
  },
  "logout": {
    examples: ["sregistry logout ghcr.io"],
    env: ["SREGISTRY_DOCKERHUB_SECRETS", "DOCKER_CONFIG"],
  },
  "tags": { examples: ["sregistry tags busybox", "sregistry tags ghcr.io/org/tool"], env: NETWORK },
  "shell": {
    examples: [
      'sregistry shell            # then: await client.images(), await client.pull("busybox")',
      "echo 'console.log(await client.get(\"busybox\"))' | sregistry shell",
    ],
    env: ["PATH", ...PULL],
  },
  "cache": { examples: ["sregistry cache ls", "sregistry cache prune --max-size 20G"], env: CACHE },
  "cache ls": { examples: ["sregistry cache ls", "sregistry cache ls --json"], env: CACHE },
  "cache prune": {
    examples: [
      "sregistry cache prune --older-than 30d",
      "sregistry cache prune --max-size 20G --dry-run",
    ],
    env: [
      ...CACHE,
      ...CATALOGUE,
      "SREGISTRY_TMPDIR",
      "APPTAINER_TMPDIR",
      "SINGULARITY_TMPDIR",
      "TMPDIR",
    ],
  },
  "cache clean": { examples: ["sregistry cache clean --force"], env: CACHE },
  "completion": {
    examples: [
      "sregistry completion bash > ~/.local/share/bash-completion/completions/sregistry",
      "sregistry completion zsh > ~/.zfunc/_sregistry",
      "sregistry completion fish > ~/.config/fish/completions/sregistry.fish",
    ],
    env: [],
  },
  "man": {
    examples: ["sregistry man > ~/.local/share/man/man1/sregistry.1 && man sregistry"],
    env: [],
  },
});

/** Words wrapped to `width` columns after `indent` spaces. */
function wrap(words: string[], indent: number, width = 100): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of words) {
    if (line && indent + line.length + 1 + word.length > width) {
      lines.push(" ".repeat(indent) + line);
      line = "";
    }
    line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(" ".repeat(indent) + line);
  return lines;
}

/**
 * The text after a command's options: "Examples:" and "Environment:".
 * @param help the command's entry of {@linkcode COMMAND_HELP}
 */
export function helpFooter(help: CommandHelp): string {
  const env = [...new Set(help.env)];
  const lines = ["", "Examples:", ...help.examples.map((e) => `  $ ${e}`), "", "Environment:"];
  if (env.length === 0) lines.push("  none");
  else {
    lines.push(...wrap(env.map((v, i) => (i < env.length - 1 ? `${v},` : v)), 2));
    lines.push(
      "  (what each means: the README's table of environment variables, or sregistry man)",
    );
  }
  return lines.join("\n");
}
