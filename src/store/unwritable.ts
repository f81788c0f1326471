/**
 * Folders the user cannot write (EACCES, EPERM, EROFS, a read-only SQLite
 * file) reported as users can act on them: the message names the setting
 * that chose the folder, e.g. `Cannot write to SREGISTRY_STORAGE=/path:
 * permission denied: set it to a folder you can write`. The folder is found
 * by the paths in the error's messages (a path inside the folder, or the
 * folder itself), the innermost known folder winning.
 * @module
 */
import { SregistryError } from "../errors.ts";
import { type SqliteFailure, sqliteFailure } from "./_sqlite_errors.ts";

/** A folder sregistry writes, and the setting or option that chose it. */
export interface Folder {
  /** Absolute or relative path, as the setting gives it. */
  path: string;
  /** `SREGISTRY_STORAGE`, `APPTAINER_CACHEDIR`, ... or an option: `--name`, `--sandbox`. */
  variable: string;
  /** The folder sregistry writes inside `path`, when narrower (the cache's `oci`). */
  within?: string;
}

/** A refused write's reason by the OS error's `code` (Deno sets it on every OS error). */
const CODE_REASONS: Record<string, string> = {
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
};

/** SQLite's refusals (told apart by `sqliteFailure`, `_sqlite_errors.ts`). */
const SQLITE_REASONS: Partial<Record<SqliteFailure, string>> = {
  readonly: "the database is read-only",
  cantopen: "cannot create the database's files",
};

function messages(error: unknown): string[] {
  const out: string[] = [];
  for (let e = error; e instanceof Error && out.length < 8; e = e.cause) out.push(e.message);
  return out;
}

/**
 * Why `error` (or one of its causes) is a refused write: "permission denied",
 * "read-only file system", ...; undefined for any other error.
 */
export function unwritableReason(error: unknown): string | undefined {
  if (error instanceof Deno.errors.NotCapable) return undefined; // Deno's own permissions
  for (let e = error, i = 0; e instanceof Error && i < 8; e = e.cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && Object.hasOwn(CODE_REASONS, code)) return CODE_REASONS[code];
    if (code === "ERR_SQLITE_ERROR") {
      const failure = sqliteFailure(e);
      if (failure && SQLITE_REASONS[failure]) return SQLITE_REASONS[failure];
    }
  }
  return undefined;
}

/**
 * The error to show for a refused write in one of `folders`, or undefined
 * when `error` is no refused write, names none of them, or already says
 * "Cannot write to".
 */
export function explainUnwritable(error: unknown, folders: Folder[]): SregistryError | undefined {
  const reason = unwritableReason(error);
  if (!reason) return undefined;
  const texts = messages(error);
  if (texts[0]?.startsWith("Cannot write to ")) return undefined;
  const known = folders
    .filter((f) => f.path)
    .map((f) => ({ ...f, match: (f.within ?? f.path).replace(/(.)\/+$/, "$1") }))
    .sort((a, b) => b.match.length - a.match.length);
  const folder = known.find((f) =>
    texts.some((t) =>
      t.includes(`${f.match}/`) || new RegExp(`${escape(f.match)}(?![^\\s'":,])`).test(t)
    )
  );
  if (!folder) return undefined;
  return unwritableError(folder, reason, error);
}

/** The message for `folder`, which refused a write for `reason`. */
export function unwritableError(folder: Folder, reason: string, cause?: unknown): SregistryError {
  const option = folder.variable.startsWith("--");
  return new SregistryError(
    option
      ? `Cannot write to ${folder.path} (${folder.variable}): ${reason}: give ${folder.variable} a path in a folder you can write`
      : `Cannot write to ${folder.variable}=${folder.path}: ${reason}: set it to a folder you can write`,
    { cause },
  );
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
