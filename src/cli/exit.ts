/**
 * The one place where errors become exit codes and messages: success 0, usage
 * errors 2, every other failure 1 (among them the typed failures of
 * `src/errors.ts`: no space, network, registry answers, corrupt blobs), and
 * 130/143 for a run stopped by SIGINT/SIGTERM. Stack traces only with
 * `--debug`.
 * @module
 */
import { DocumentError } from "../document.ts";
import { UsageError } from "../errors.ts";
import { ReferenceSyntaxError } from "../reference.ts";
import { printErr } from "./output.ts";

/** Exit codes for a run stopped by a signal: 128 + the signal's number, as a shell reports it. */
export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

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
