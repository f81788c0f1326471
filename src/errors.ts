/**
 * Error classes that callers catch. Bad arguments to library functions use the
 * built-ins (`TypeError`, `RangeError`, `SyntaxError`); these classes are for
 * conditions the CLI maps to exit codes in one place (`src/cli/exit.ts`).
 *
 * Where messages are made: each typed class below takes its facts (host, URL,
 * path, setting, tool, action, status, ...) and builds its message from them
 * with the one function of `src/messages.ts` for its kind (the facts' types
 * are in `src/error_facts.ts`); throw sites pass facts, never sentences. Messages follow "Cannot <action>: <state>: <what to
 * do>" and never contain secrets. `UsageError` and `SregistryError` itself
 * still take a message, for the one-off failures that have no class.
 * @module
 */
import type {
  BlockedPortFacts,
  DigestFault,
  DigestMismatchFacts,
  NetworkFacts,
  NetworkFailure,
  NoSpaceFacts,
  ProxyFacts,
  RegistryAnswer,
  RegistryErrorEntry,
  RegistryFacts,
  TlsFacts,
} from "./error_facts.ts";
import {
  digestMismatchMessage,
  networkMessage,
  noSpaceMessage,
  registryMessage,
} from "./messages.ts";

export type {
  BlockedPortFacts,
  DigestFault,
  DigestMismatchFacts,
  NetworkFacts,
  NoSpaceFacts,
  RegistryErrorEntry,
  RegistryFacts,
  RegistryFault,
  TlsFacts,
  TlsSettings,
} from "./error_facts.ts";

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

/**
 * An HTTP error answered by a registry, with its parsed error body (or a
 * protocol fault: a bad redirect or token realm, `fault`). The subclasses
 * say which answer; the message is `registryMessage` of the facts.
 */
export class RegistryError extends SregistryError {
  /** Which answer this class is, for its message. */
  static readonly answer: RegistryAnswer = "other";
  readonly status: number;
  readonly method: string;
  readonly url: string;
  readonly errors: RegistryErrorEntry[];
  /** Seconds to wait before retrying, from `Retry-After`, when the registry sent it. */
  readonly retryAfter?: number;
  constructor(facts: RegistryFacts, options?: ErrorOptions) {
    super(registryMessage(new.target.answer, facts), options);
    this.status = facts.status;
    this.method = facts.method;
    this.url = facts.url;
    this.errors = facts.errors ?? [];
    this.retryAfter = facts.retryAfter;
  }
}

/** Content whose digest or size differs from the descriptor that asked for it. */
export class DigestMismatchError extends SregistryError {
  readonly expected: string;
  readonly actual: string;
  /** Who is to blame: the transfer (default), the cache, the image's config. */
  readonly fault: DigestFault;
  constructor(facts: DigestMismatchFacts, options?: ErrorOptions) {
    super(digestMismatchMessage(facts), options);
    this.expected = facts.expected;
    this.actual = facts.actual;
    this.fault = facts.fault ?? "transfer";
  }
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
  constructor(facts: NoSpaceFacts = {}, options?: ErrorOptions) {
    super(noSpaceMessage(facts), options);
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

/**
 * A request that got no HTTP answer. Created by the transport where `fetch`
 * fails (see `registry/transport.ts` `classifyFetchFailure`), from Deno's
 * `TypeError` and its cause chain; the subclasses say why.
 */
export class NetworkError extends SregistryError {
  /** Which failure this class is, for its message. */
  static readonly failure: NetworkFailure = "network";
  readonly host: string;
  readonly url: string;
  /** Completes "Cannot <action>"; unset for the bare classification of a failed fetch. */
  readonly action?: string;
  /** The proxy the request went through, when one applied. */
  readonly proxy?: ProxyFacts;
  constructor(facts: NetworkFacts, options?: ErrorOptions) {
    super(networkMessage(new.target.failure, facts), options);
    this.host = facts.host;
    this.url = facts.url;
    this.action = facts.action;
    this.proxy = facts.proxy;
  }
  /** True once the message says what failed and what to do (`action` is known). */
  get complete(): boolean {
    return this.action !== undefined;
  }
  /** False when trying again cannot help (DNS, TLS, a refused port). */
  get retryable(): boolean {
    return true;
  }
}

/** A port web `fetch` refuses (the WHATWG "bad ports", e.g. 6000). Not retried. */
export class BlockedPortError extends NetworkError {
  static override readonly failure: NetworkFailure = "blocked-port";
  /** The refused port, when known. */
  readonly port?: number;
  constructor(facts: BlockedPortFacts, options?: ErrorOptions) {
    super(facts, options);
    this.port = facts.port;
  }
  override get retryable(): boolean {
    return false;
  }
}

/** The host name does not resolve (DNS). Not retried. */
export class UnknownHostError extends NetworkError {
  static override readonly failure: NetworkFailure = "unknown-host";
  override get retryable(): boolean {
    return false;
  }
}

/** Nothing listens at the host and port (ECONNREFUSED). Retried: a registry may be starting. */
export class ConnectionRefusedError extends NetworkError {
  static override readonly failure: NetworkFailure = "refused";
}

/** The connection broke off (ECONNRESET, EPIPE, closed before the answer). Retried. */
export class ConnectionResetError extends NetworkError {
  static override readonly failure: NetworkFailure = "reset";
}

/**
 * The TLS handshake failed; `certificate` when the peer's certificate was not
 * trusted (unknown issuer, wrong name, expired), which is not retried.
 */
export class TlsError extends NetworkError {
  static override readonly failure: NetworkFailure = "tls";
  readonly certificate: boolean;
  /** The TLS library's words, e.g. `invalid peer certificate: UnknownIssuer`. */
  readonly detail: string;
  constructor(facts: TlsFacts, options?: ErrorOptions) {
    super(facts, options);
    this.certificate = facts.certificate;
    this.detail = facts.detail;
  }
  /** An untrusted certificate stays untrusted; a broken handshake may not recur. */
  override get retryable(): boolean {
    return !this.certificate;
  }
}

/** The registry answered 404 or MANIFEST_UNKNOWN/NAME_UNKNOWN/BLOB_UNKNOWN. */
export class NotFoundError extends RegistryError {
  static override readonly answer: RegistryAnswer = "not-found";
}

/** The registry answered 401/403 or UNAUTHORIZED/DENIED: log in or check the name. */
export class UnauthorizedError extends RegistryError {
  static override readonly answer: RegistryAnswer = "unauthorized";
}

/** The registry answered 429 or TOOMANYREQUESTS; `retryAfter` says how long to wait, if sent. */
export class RateLimitedError extends RegistryError {
  static override readonly answer: RegistryAnswer = "rate-limited";
}
