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

/** Facts of a full disk or quota: where, and what moves the folder. */
export interface NoSpaceFacts {
  /** The folder (or file) that could not be written, when known. */
  path?: string;
  /** The setting or option that moves that folder (`SREGISTRY_TMPDIR`, `--dir`, ...). */
  variable?: string;
  /** The external program that reported the full disk (`mksquashfs`), when it was one. */
  tool?: string;
}

/**
 * A write failed because the disk or the user's quota is full (ENOSPC,
 * EDQUOT). Created where the write fails; once `variable` is known the
 * message names the folder and the setting that moves it.
 */
export class NoSpaceError extends SregistryError {
  readonly path?: string;
  readonly variable?: string;
  readonly tool?: string;
  constructor(message: string, facts: NoSpaceFacts = {}, options?: ErrorOptions) {
    super(message, options);
    this.path = facts.path;
    this.variable = facts.variable;
    this.tool = facts.tool;
  }
}

/** The `code` values of a full disk (POSIX ENOSPC) and a full quota (EDQUOT). */
const NO_SPACE_CODES = new Set(["ENOSPC", "EDQUOT"]);
/**
 * True when `error` or one of its causes is a {@linkcode NoSpaceError} or a
 * Deno/Node error whose `code` is ENOSPC or EDQUOT (Deno sets `code` on every
 * OS error). Classifies by fields, never by message text.
 */
export function isNoSpace(error: unknown): boolean {
  for (let e = error, i = 0; e instanceof Error && i < 16; e = e.cause, i++) {
    if (e instanceof NoSpaceError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && NO_SPACE_CODES.has(code)) return true;
  }
  return false;
}

/** Facts of a network failure: the host and the URL (without its query). */
export interface NetworkFacts {
  host: string;
  url: string;
  /**
   * The message is complete ("Cannot connect to HOST: ...: what to do"), made
   * where the settings in force are known; `networkError` keeps it. Unset for
   * the bare classification of a failed fetch.
   */
  complete?: boolean;
}

/**
 * A request that got no HTTP answer. Created by the transport where `fetch`
 * fails (see `registry/transport.ts` `classifyFetchFailure`), from Deno's
 * `TypeError` and its cause chain; the subclasses say why.
 */
export class NetworkError extends SregistryError {
  readonly host: string;
  readonly url: string;
  readonly complete: boolean;
  constructor(message: string, facts: NetworkFacts, options?: ErrorOptions) {
    super(message, options);
    this.host = facts.host;
    this.url = facts.url;
    this.complete = facts.complete ?? false;
  }
  /** False when trying again cannot help (DNS, TLS, a refused port). */
  get retryable(): boolean {
    return true;
  }
}

/** A port web `fetch` refuses (the WHATWG "bad ports", e.g. 6000). Not retried. */
export class BlockedPortError extends NetworkError {
  override get retryable(): boolean {
    return false;
  }
}

/** The host name does not resolve (DNS). Not retried. */
export class UnknownHostError extends NetworkError {
  override get retryable(): boolean {
    return false;
  }
}

/** Nothing listens at the host and port (ECONNREFUSED). Retried: a registry may be starting. */
export class ConnectionRefusedError extends NetworkError {}

/** The connection broke off (ECONNRESET, EPIPE, closed before the answer). Retried. */
export class ConnectionResetError extends NetworkError {}

/**
 * The TLS handshake failed; `certificate` when the peer's certificate was not
 * trusted (unknown issuer, wrong name, expired), which is not retried.
 */
export class TlsError extends NetworkError {
  readonly certificate: boolean;
  /** The TLS library's words, e.g. `invalid peer certificate: UnknownIssuer`. */
  readonly detail: string;
  constructor(
    message: string,
    facts: NetworkFacts & { certificate: boolean; detail: string },
    options?: ErrorOptions,
  ) {
    super(message, facts, options);
    this.certificate = facts.certificate;
    this.detail = facts.detail;
  }
  /** An untrusted certificate stays untrusted; a broken handshake may not recur. */
  override get retryable(): boolean {
    return !this.certificate;
  }
}

/** The registry answered 404 or MANIFEST_UNKNOWN/NAME_UNKNOWN/BLOB_UNKNOWN. */
export class NotFoundError extends RegistryError {}

/** The registry answered 401/403 or UNAUTHORIZED/DENIED: log in or check the name. */
export class UnauthorizedError extends RegistryError {}

/** The registry answered 429 or TOOMANYREQUESTS; `retryAfter` says how long to wait, if sent. */
export class RateLimitedError extends RegistryError {}
