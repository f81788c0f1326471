/**
 * The facts each typed error carries (`src/errors.ts`), from which
 * `src/messages.ts` words its message: types only, shared by the two.
 * @module
 */

/** Facts of a full disk or quota: where, and what moves the folder. */
export interface NoSpaceFacts {
  /** The folder (or file) that could not be written, when known. */
  path?: string;
  /** The setting or option that moves that folder (`SREGISTRY_TMPDIR`, `--dir`, ...). */
  variable?: string;
  /** The external program that reported the full disk (`mksquashfs`), when it was one. */
  tool?: string;
  /** The tool's own words (its last line of error output). */
  detail?: string;
  /** Completes "Cannot <action>"; by default `write to <path>` (`build the image` for a tool). */
  action?: string;
  /** Bytes needed and bytes free, when a check before writing found too little room. */
  needed?: number;
  /** See `needed`. */
  free?: number;
}

/** The TLS settings in force, which decide what a TLS failure's message tells to set. */
export interface TlsSettings {
  /** `SREGISTRY_CA_FILE`, when set. */
  caFile?: string;
  /** `SREGISTRY_HTTPS_NOVERIFY`. */
  httpsNoVerify?: boolean;
}

/** Facts of a request that got no HTTP answer. */
export interface NetworkFacts {
  /** `host[:port]` of the request. */
  host: string;
  /** The request's URL, without its query. */
  url: string;
  /**
   * Completes "Cannot <action>". Unset for the bare classification of a
   * failed fetch, whose message is then its state alone (`unknown host H`);
   * `networkError` (registry/errors.ts) sets it.
   */
  action?: string;
  /** The proxy the request went through, when one applied (never its credentials). */
  proxy?: ProxyFacts;
}

/** A proxy from the environment: which variable, and its address without credentials. */
export interface ProxyFacts {
  /** `HTTPS_PROXY`, `http_proxy`, `ALL_PROXY`, ... */
  variable: string;
  /** `http://proxy.example:3128`: scheme, host and port only. */
  address: string;
}

/** Facts of a TLS failure. */
export interface TlsFacts extends NetworkFacts {
  /** True when the peer's certificate was not trusted (unknown issuer, wrong name, expired). */
  certificate: boolean;
  /** The TLS library's words, e.g. `invalid peer certificate: UnknownIssuer`. */
  detail: string;
  /** The settings in force, when known (the HTTP client knows them). */
  settings?: TlsSettings;
}

/** Facts of a port web `fetch` refuses. */
export interface BlockedPortFacts extends NetworkFacts {
  /** The refused port, when known. */
  port?: number;
  /** What stopped the other route, e.g. `HTTP_PROXY is set, which ... cannot use`. */
  why?: string;
}

/** Which network failure: one a `NetworkError` subclass. */
export type NetworkFailure =
  | "network"
  | "blocked-port"
  | "unknown-host"
  | "refused"
  | "reset"
  | "tls";

/** One entry of a registry error body: `{"errors":[{"code","message","detail"}]}`. */
export interface RegistryErrorEntry {
  code: string;
  message?: string;
  detail?: unknown;
}

/** A registry that broke the protocol rather than answering an error. */
export type RegistryFault =
  | { kind: "redirect-not-url" }
  | { kind: "redirect-scheme"; protocol: string }
  | { kind: "redirect-loop"; max: number }
  | { kind: "realm-missing" }
  | { kind: "realm-not-https"; origin: string };

/** Facts of a registry's error answer (or of a protocol fault, `fault`). */
export interface RegistryFacts {
  status: number;
  method: string;
  /** The request's URL, without its query. */
  url: string;
  errors?: RegistryErrorEntry[];
  /** Seconds to wait before retrying, from `Retry-After`, when the registry sent it. */
  retryAfter?: number;
  /** Completes "Cannot <action>". */
  action?: string;
  /** The answer's status text (`Not Found`). */
  statusText?: string;
  /** A body that is no JSON error body, summed up (`an HTML page "..."`, a quoted text). */
  summary?: string;
  /** The host the message names (default: `url`'s); `loginHost` the one to log in to. */
  host?: string;
  /** The name to suggest to `sregistry login` (default: `host`). */
  loginHost?: string;
  /** Set when the registry broke the protocol (a redirect, a token realm). */
  fault?: RegistryFault;
}

/** Which registry answer: one a `RegistryError` subclass. */
export type RegistryAnswer = "other" | "not-found" | "unauthorized" | "rate-limited";

/** Who is to blame for content that is not what its digest says, which decides what to do. */
export type DigestFault = "transfer" | "cache" | "config" | "descriptor";

/** Facts of a digest or size mismatch. */
export interface DigestMismatchFacts {
  /** What was expected: a digest, or `N bytes`. */
  expected: string;
  /** What arrived: a digest, or `N bytes`/`at least N bytes`. */
  actual: string;
  /** What was read: `blob sha256:...`, `manifest of REF`, `the cached blob PATH`. */
  what: string;
  /**
   * Default `transfer`: the registry or a proxy served corrupt data.
   * `descriptor`: the registry holds a blob of another size than the
   * manifest's descriptor says (`expected` the descriptor's, `actual` the
   * registry's, both `N bytes`).
   */
  fault?: DigestFault;
}

/** One thing wrong with a document: where (a JSON path, `$` is the root) and what. */
export interface DocumentIssue {
  /** E.g. `$.layers[2].digest`. */
  path: string;
  /** E.g. `is missing (expected a string)`. */
  message: string;
}
