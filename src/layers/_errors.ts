/**
 * The extractor's error class and the mapping of parser and file-system
 * failures to messages that name the entry and the layer.
 * @module
 */
import { SregistryError } from "../errors.ts";
import { type ByteString, byteStringToText, displayName } from "../byte_string.ts";
import { isSourceError, TooLargeError } from "../tar/entries.ts";
import { TarFormatError, TarHolesError, TarTruncatedError } from "../tar/reader.ts";

/** A bad, truncated or hostile layer archive; the message names the entry and the layer. */
export class LayerFormatError extends SregistryError {}

/**
 * Quotes an entry name (a byte string, as in the archive) for messages,
 * shortened: UTF-8 names as JSON strings (control characters escaped), other
 * names as `displayName` gives them (each byte that is not UTF-8 as `\xNN`).
 */
export function quoteName(name: ByteString): string {
  const text = byteStringToText(name);
  const shown = text ?? displayName(name);
  const short = shown.length > 120 ? `${shown.slice(0, 60)}...${shown.slice(-40)}` : shown;
  if (text !== undefined) return JSON.stringify(short);
  // displayName escaped every backslash already: escape only quotes and control characters.
  const hex = (c: string) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
  // deno-lint-ignore no-control-regex
  return `"${short.replace(/["\x00-\x1f\x7f]/g, hex)}"`;
}

/**
 * The error for entries whose names (or link targets) are not UTF-8: Deno
 * names files with text, so they cannot be created in a folder. Names them
 * (at most 10) and says what to do.
 */
export function notUtf8Error(names: ByteString[], label: string): LayerFormatError {
  const shown = names.slice(0, 10).map(quoteName).join(", ");
  const more = names.length > 10 ? ` and ${names.length - 10} more` : "";
  const count = names.length === 1
    ? "1 entry whose name or link target is"
    : `${names.length} entries whose names or link targets are`;
  return new LayerFormatError(
    `Cannot unpack layer ${label} into a folder: it has ${count} not UTF-8, which cannot be created on disk here: ${shown}${more}: pull it into a SIF instead (without --sandbox or --keep-sandbox), which keeps such names byte for byte`,
  );
}

/** The error for an entry no layer should contain (`name` as in the archive). */
export function refuseEntry(name: ByteString, label: string, reason: string): LayerFormatError {
  return new LayerFormatError(
    `Cannot unpack entry ${
      quoteName(name)
    } of layer ${label}: ${reason}: the layer is corrupt or hostile; report the image`,
  );
}

/** File-system error codes that mean the layer itself is at fault. */
const LAYER_FAULTS = new Set(["ENAMETOOLONG", "ELOOP", "ENOTDIR", "EEXIST", "EISDIR", "EINVAL"]);

/** Error from processing one entry (`inEntry`) or from the parser (between entries). */
export function wrapError(
  e: unknown,
  where: { entry?: ByteString; layer: string; inEntry: boolean; maxBytes: number },
): Error {
  if (e instanceof SregistryError) return e;
  const entry = where.entry === undefined ? "the start" : `entry ${quoteName(where.entry)}`;
  const layer = `layer ${where.layer}`;
  if (e instanceof TooLargeError || e instanceof TarHolesError) {
    return new LayerFormatError(
      `Cannot unpack ${layer}: it expands to more than ${e.limit} bytes (at ${entry}): the layer may be a decompression bomb; if the image is genuine, raise SREGISTRY_MAX_LAYER_SIZE`,
      { cause: e },
    );
  }
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof TarTruncatedError && e.inBody) {
    return new LayerFormatError(
      `Cannot unpack ${entry} of ${layer}: the archive ends inside it: the layer is truncated; pull it again, and report the image if it persists`,
      { cause: e },
    );
  }
  if (
    !where.inEntry || isSourceError(e) || e instanceof TarFormatError ||
    e instanceof TarTruncatedError
  ) {
    const places = [
      where.entry === undefined
        ? "with no entry read"
        : where.inEntry
        ? `in ${entry}`
        : `after ${entry}`,
    ];
    const offset = (e as TarFormatError | TarTruncatedError).offset;
    if (typeof offset === "number") places.push(`at byte ${offset} of the uncompressed layer`);
    return new LayerFormatError(
      `Cannot unpack ${layer}: ${message} (${
        places.join(", ")
      }): the layer is truncated or not a tar archive; pull it again, and report the image if it persists`,
      { cause: e },
    );
  }
  const code = (e as { code?: string }).code ?? "";
  if (LAYER_FAULTS.has(code) || e instanceof Deno.errors.FilesystemLoop) {
    return new LayerFormatError(
      `Cannot unpack ${entry} of ${layer}: ${
        message.replace(/:.*$/, "")
      }: the image contains an entry that cannot be created; report it to the image's maintainer`,
      { cause: e },
    );
  }
  return new SregistryError(
    `Cannot write ${entry} of ${layer}: ${message}: check free space, quota and permissions of the destination`,
    { cause: e },
  );
}
