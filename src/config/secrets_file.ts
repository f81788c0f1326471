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
import { SregistryError } from "../errors.ts";
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
 * Where in `text` a JSON syntax error is, as "line L, column C", from the
 * engine's message. The engine's message itself is never shown: it quotes
 * the file's content, which may hold secrets.
 */
function syntaxPosition(text: string, error: unknown): string {
  const match = /position (\d+)/.exec(String(error));
  if (!match) return "";
  const before = text.slice(0, Number(match[1]));
  const line = before.split("\n").length;
  const column = before.length - before.lastIndexOf("\n");
  return ` at line ${line}, column ${column}`;
}

/** Checks the original's shape: backend entries are objects. */
function checkShape(path: string, data: unknown): Record<string, unknown> {
  const fix = "fix it, or move it away to start over";
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new SregistryError(`Cannot read settings file ${path}: it is not a JSON object: ${fix}`);
  }
  for (const [key, value] of Object.entries(data)) {
    if (key === "SREGISTRY_CLIENT") {
      if (typeof value !== "string") {
        throw new SregistryError(
          `Cannot read settings file ${path}: "SREGISTRY_CLIENT" is not a string: ${fix}`,
        );
      }
    } else if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new SregistryError(
        `Cannot read settings file ${path}: the entry for backend "${key}" is not an object: ${fix}`,
      );
    }
  }
  return data as Record<string, unknown>;
}

/**
 * Reads the settings file. A missing file gives empty data and is not
 * created.
 *
 * @param path the file, usually `secretsFilePath(env)`
 * @returns the file's path and data
 * @throws {SregistryError} when the file is not valid JSON or not the
 *   original's shape (the message names the file, never its content)
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
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SregistryError(
      `Cannot read settings file ${path}: it is not valid JSON${
        syntaxPosition(text, e)
      }: fix it, or move it away to start over`,
    );
  }
  return {
    path,
    data: checkShape(path, parsed),
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
