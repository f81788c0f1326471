/**
 * The files Apptainer puts into a root filesystem built from a docker source
 * (`/.singularity.d`, placeholders in `/etc`, links, standard folders), as
 * pure data. The layer engine adds them to the image (`src/layers/extra_files.ts`).
 * @module
 */

import * as scripts from "./_scripts.ts";
import { goCompact, goStringMapIndented } from "./_gojson.ts";
import { renderRunscript, shellEscape } from "./_runscript.ts";

/** The fields of an image config's `config` section used here (Docker-style keys). */
export interface ImageConfigLike {
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  User?: string;
  [k: string]: unknown;
}

/** One file, folder or symbolic link to create, path absolute within the rootfs. */
export interface MetadataFile {
  path: string;
  type: "file" | "dir" | "symlink";
  mode?: number;
  content?: string;
  target?: string;
}

const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * `/.singularity.d/env/10-docker2singularity.sh` for a config `Env`: `PATH` is
 * set, other variables keep a value preset in the environment. Each value is
 * reproduced byte for byte (escaped once; Apptainer's extra `%q` quoting,
 * which mangles `\`, `"` and `$`, is not copied). Invalid names are skipped.
 */
export function envScript(env: string[] | undefined): string {
  let text = "#!/bin/sh\n";
  for (const entry of env ?? []) {
    const eq = entry.indexOf("=");
    const name = eq < 0 ? entry : entry.slice(0, eq);
    if (!NAME.test(name)) continue;
    if (eq < 0) text += `export ${name}="\${${name}:-}"\n`;
    else if (name === "PATH") text += `export PATH="${shellEscape(entry.slice(eq + 1))}"\n`;
    else text += `export ${name}="\${${name}:-"${shellEscape(entry.slice(eq + 1))}"}"\n`;
  }
  return text;
}

/**
 * `/.singularity.d/runscript`: ENTRYPOINT followed by CMD, user arguments
 * replacing CMD. With `cmdOnly` (`SREGISTRY_DOCKER_CMD`) ENTRYPOINT is ignored.
 */
export function runscript(config: ImageConfigLike, options: { cmdOnly?: boolean } = {}): string {
  const entrypoint = options.cmdOnly ? [] : stringList(config.Entrypoint);
  return renderRunscript(entrypoint, stringList(config.Cmd));
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/** The definition file Apptainer synthesises for a docker source. */
export function definitionFile(from: string): string {
  return `bootstrap: docker\nfrom: ${from}\n\n`;
}

/** `labels.json`: image labels with build labels merged over them, tab-indented like Go. */
export function labelsJson(
  imageLabels: Record<string, string> | null | undefined,
  buildLabels: Record<string, string>,
): string {
  return goStringMapIndented({ ...(imageLabels ?? {}), ...buildLabels });
}

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/** Go layout `Monday_2_January_2006_15:4:5_MST` in UTC, the label-schema build date. */
export function labelSchemaDate(date: Date): string {
  const hour = String(date.getUTCHours()).padStart(2, "0");
  return `${DAYS[date.getUTCDay()]}_${date.getUTCDate()}_${MONTHS[date.getUTCMonth()]}_` +
    `${date.getUTCFullYear()}_${hour}:${date.getUTCMinutes()}:${date.getUTCSeconds()}_UTC`;
}

/** The labels a build adds (`created` is RFC 3339; `baseName` is the pulled reference). */
export function buildLabels(
  opts: { arch: string; variant?: string; created: string; baseName: string; baseDigest: string },
): Record<string, string> {
  const date = new Date(opts.created);
  if (Number.isNaN(date.getTime())) throw new RangeError(`Not an RFC 3339 time: ${opts.created}`);
  const labels: Record<string, string> = {
    "org.label-schema.schema-version": "1.0",
    "org.label-schema.build-date": labelSchemaDate(date),
    "org.label-schema.build-arch": opts.arch,
    "org.label-schema.usage.singularity.deffile.bootstrap": "docker",
    "org.label-schema.usage.singularity.deffile.from": opts.baseName,
    "org.opencontainers.image.created": opts.created,
    "org.opencontainers.image.architecture": opts.arch,
    "org.opencontainers.image.base.name": opts.baseName,
    "org.opencontainers.image.base.digest": opts.baseDigest,
  };
  if (opts.variant) labels["org.opencontainers.image.variant"] = opts.variant;
  return labels;
}

const OCI_CONFIG_KEYS = [
  "User",
  "ExposedPorts",
  "Env",
  "Entrypoint",
  "Cmd",
  "Volumes",
  "WorkingDir",
  "Labels",
  "StopSignal",
  "ArgsEscaped",
];

/**
 * The `oci-config.json` SIF object: the config's `config` section marshalled
 * as Go's image-spec `ImageConfig` (field order, empty fields omitted, maps
 * with sorted keys). `config` is the full image config JSON or its section.
 */
export function ociConfigJson(config: unknown): string {
  const root = (config ?? {}) as Record<string, unknown>;
  const section =
    (typeof root.config === "object" && root.config !== null ? root.config : root) as Record<
      string,
      unknown
    >;
  const fields = OCI_CONFIG_KEYS.filter((key) => !isEmpty(section[key]))
    .map((key) => `"${key}":${goCompact(section[key])}`);
  return `{${fields.join(",")}}`;
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === "" || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === "object" && Object.keys(value).length === 0;
}

const DIRS = ["/dev", "/proc", "/root", "/var/tmp", "/tmp", "/etc", "/sys", "/home"];
const LINKS: [string, string][] = [
  ["/singularity", ".singularity.d/runscript"],
  ["/.run", ".singularity.d/actions/run"],
  ["/.exec", ".singularity.d/actions/exec"],
  ["/.test", ".singularity.d/actions/test"],
  ["/.shell", ".singularity.d/actions/shell"],
  ["/environment", ".singularity.d/env/90-environment.sh"],
];

/** Everything Apptainer adds to a docker-sourced rootfs, in creation order. */
export function singularityMetadata(opts: {
  config: ImageConfigLike;
  from: string;
  arch: string;
  variant?: string;
  created: string;
  baseDigest: string;
  cmdOnly?: boolean;
}): MetadataFile[] {
  const dir = (path: string): MetadataFile => ({ path, type: "dir", mode: 0o755 });
  const file = (path: string, content: string, mode = 0o755): MetadataFile => ({
    path,
    type: "file",
    mode,
    content,
  });
  const d = "/.singularity.d";
  const labels = buildLabels({ ...opts, baseName: opts.from });
  return [
    ...["libs", "actions", "env"].map((name) => dir(`${d}/${name}`)),
    ...DIRS.map(dir),
    ...LINKS.map(([path, target]): MetadataFile => ({ path, type: "symlink", target })),
    file("/etc/hosts", "", 0o644),
    file("/etc/resolv.conf", "", 0o644),
    file(`${d}/actions/exec`, scripts.EXEC_ACTION),
    file(`${d}/actions/run`, scripts.RUN_ACTION),
    file(`${d}/actions/shell`, scripts.SHELL_ACTION),
    file(`${d}/actions/start`, scripts.START_ACTION),
    file(`${d}/actions/test`, scripts.TEST_ACTION),
    file(`${d}/env/01-base.sh`, scripts.ENV_01_BASE),
    file(`${d}/env/10-docker2singularity.sh`, envScript(opts.config.Env)),
    file(`${d}/env/90-environment.sh`, scripts.ENV_90_ENVIRONMENT),
    file(`${d}/env/95-apps.sh`, scripts.ENV_95_APPS),
    file(`${d}/env/99-base.sh`, scripts.ENV_99_BASE),
    file(`${d}/env/99-runtimevars.sh`, scripts.ENV_99_RUNTIMEVARS),
    file(`${d}/runscript`, runscript(opts.config, { cmdOnly: opts.cmdOnly })),
    file(`${d}/startscript`, scripts.STARTSCRIPT),
    file(`${d}/labels.json`, labelsJson(opts.config.Labels, labels), 0o644),
    file(`${d}/Singularity`, definitionFile(opts.from), 0o644),
  ];
}
