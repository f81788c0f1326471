/**
 * The one place where errors become exit codes and messages: usage errors
 * exit 2, every other failure 1. Stack traces only with `--debug`.
 * @module
 */
import { DocumentError } from "../document.ts";
import { UsageError } from "../errors.ts";
import { ReferenceSyntaxError } from "../reference.ts";
import { printErr } from "./output.ts";

/**
 * The exit code for an error: 2 for a usage error, which includes a
 * malformed image reference typed on the command line; 1 otherwise, among
 * them a malformed JSON document (`DocumentError`: a manifest, config,
 * archive or layout file, settings or docker config), whatever its origin.
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof DocumentError) return 1;
  return error instanceof UsageError || error instanceof ReferenceSyntaxError ? 2 : 1;
}

/** Prints an error the way users read it and returns its exit code. */
export function reportError(error: unknown, options: { debug?: boolean } = {}): number {
  const message = error instanceof Error ? error.message : String(error);
  printErr(message.startsWith("Cannot ") ? message : `Cannot complete the command: ${message}`);
  if (options.debug && error instanceof Error) {
    let cause: unknown = error;
    while (cause instanceof Error) {
      printErr(cause.stack ?? String(cause));
      cause = cause.cause;
    }
  }
  return exitCodeFor(error);
}
