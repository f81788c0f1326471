/**
 * Error classes that callers catch. Bad arguments to library functions use the
 * built-ins (`TypeError`, `RangeError`, `SyntaxError`); these classes are for
 * conditions the CLI maps to exit codes in one place (`src/cli/exit.ts`).
 *
 * Messages follow "Cannot <action>: <state>: <what to do>" and never contain
 * secrets.
 * @module
 */

/** A usage error: wrong arguments or options. The CLI exits with code 2. */
export class UsageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Any failure of an operation the user asked for. The CLI exits with code 1. */
export class SregistryError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One entry of a registry error body: `{"errors":[{"code","message","detail"}]}`. */
export interface RegistryErrorEntry {
  code: string;
  message?: string;
  detail?: unknown;
}

/** An HTTP error answered by a registry, with its parsed error body. */
export class RegistryError extends SregistryError {
  readonly status: number;
  readonly method: string;
  readonly url: string;
  readonly errors: RegistryErrorEntry[];
  /** Seconds to wait before retrying, from `Retry-After`, when the registry sent it. */
  readonly retryAfter?: number;
  constructor(
    message: string,
    init: {
      status: number;
      method: string;
      url: string;
      errors?: RegistryErrorEntry[];
      retryAfter?: number;
    },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.status = init.status;
    this.method = init.method;
    this.url = init.url;
    this.errors = init.errors ?? [];
    this.retryAfter = init.retryAfter;
  }
}

/** Content whose digest or size differs from the descriptor that asked for it. */
export class DigestMismatchError extends SregistryError {
  readonly expected: string;
  readonly actual: string;
  /** `advice` replaces the default "what to do" (a registry or proxy served corrupt data). */
  constructor(expected: string, actual: string, what: string, advice?: string) {
    super(
      `Cannot verify ${what}: expected ${expected}, got ${actual}: ${
        advice ??
          "the registry or a proxy served corrupt data; pull again, and report it if it persists"
      }`,
    );
    this.expected = expected;
    this.actual = actual;
  }
}
