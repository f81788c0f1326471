/**
 * The settings file (`SREGISTRY_CLIENT_SECRETS`, default `~/.sregistry`):
 * the original's JSON shape, `{"SREGISTRY_CLIENT": "docker", "<backend>":
 * {"VAR": "value"}}`, pretty-printed with an indent of 4.
 *
 * Unlike the original, reading never creates the file (it used to add a
 * Singularity Hub entry), and writing is atomic with mode 0600 (it used to
 * be written in place with the umask's mode, often world-readable).
 * @module
 */
import { parseDocument } from "../document.ts";
import { SregistryError } from "../errors.ts";
import { SettingsSchema } from "./_schemas.ts";
import { writeFileAtomic } from "../store/atomic_file.ts";

/** The settings file: where it is and what it holds. */
export interface SecretsFile {
  /** Path of the file. */
  path: string;
  /** The parsed JSON object; `{}` when the file does not exist. */
  data: Record<string, unknown>;
  /** Whether the file existed when read. */
  exists?: boolean;
  /** Whether group or others may read the file (it may hold tokens). */
  readableByOthers?: boolean;
}

/**
 * Reads the settings file. A missing file gives empty data and is not
 * created.
 *
 * @param path the file, usually `secretsFilePath(env)`
 * @returns the file's path and data
 * @throws {SregistryError} when the file cannot be read; {DocumentError} when
 *   it is not JSON or not the original's shape (the message names the file
 *   and the JSON path, never its content)
 */
export function readSecrets(path: string): SecretsFile {
  let text: string;
  let mode: number | null = null;
  try {
    text = Deno.readTextFileSync(path);
    mode = Deno.statSync(path).mode;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { path, data: {}, exists: false };
    throw new SregistryError(
      `Cannot read settings file ${path}: ${
        (e as Error).message
      }: check its permissions or set SREGISTRY_CLIENT_SECRETS`,
      { cause: e },
    );
  }
  const data = parseDocument(text, SettingsSchema, {
    kind: "settings",
    origin: path,
    fix: "fix it, or move it away to start over",
  });
  return {
    path,
    data,
    exists: true,
    readableByOthers: mode !== null && (mode & 0o077) !== 0,
  };
}

/** The file's text: the original's layout (JSON, indent 4) plus a final newline. */
export function formatSecrets(data: Record<string, unknown>): string {
  return JSON.stringify(data, null, 4) + "\n";
}

/**
 * Writes the settings file atomically (a temporary file in the same
 * directory, then a rename) with mode 0600, replacing any older, wider mode.
 *
 * @param file the path and the data to write
 * @throws {SregistryError} when the file cannot be written
 */
export function writeSecrets(file: SecretsFile): void {
  try {
    writeFileAtomic(file.path, formatSecrets(file.data), {
      mode: 0o600,
      fsync: true,
      dirMode: 0o700,
    });
  } catch (e) {
    throw new SregistryError(
      `Cannot write settings file ${file.path}: ${
        (e as Error).message
      }: check that its folder is writable, or set SREGISTRY_CLIENT_SECRETS`,
      { cause: e },
    );
  }
}
