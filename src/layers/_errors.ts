/**
 * The extractor's error class and the mapping of parser and file-system
 * failures to messages that name the entry and the layer.
 * @module
 */
import { SregistryError } from "../errors.ts";
import { TooLargeError } from "./_source.ts";
import { TarFormatError, TarTruncatedError } from "./tar_reader.ts";

/** A bad, truncated or hostile layer archive; the message names the entry and the layer. */
export class LayerFormatError extends SregistryError {}

/** Quotes an entry name for messages, shortened and with control characters escaped. */
export function quoteName(name: string): string {
  const short = name.length > 120 ? `${name.slice(0, 60)}...${name.slice(-40)}` : name;
  return JSON.stringify(short);
}

/** The error for an entry no layer should contain (`name` as in the archive). */
export function refuseEntry(name: string, label: string, reason: string): LayerFormatError {
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
  where: { entry?: string; layer: string; inEntry: boolean; maxBytes: number },
): Error {
  if (e instanceof SregistryError) return e;
  const entry = where.entry === undefined ? "the start" : `entry ${quoteName(where.entry)}`;
  const layer = `layer ${where.layer}`;
  if (e instanceof TooLargeError) {
    return new LayerFormatError(
      `Cannot unpack ${layer}: it expands to more than ${where.maxBytes} bytes (at ${entry}): the layer may be a decompression bomb; if the image is genuine, raise SREGISTRY_MAX_LAYER_SIZE`,
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
  if (!where.inEntry || e instanceof TarFormatError || e instanceof TarTruncatedError) {
    return new LayerFormatError(
      `Cannot unpack ${layer}: ${message} (${
        where.entry === undefined ? "in its first header" : `after ${entry}`
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
