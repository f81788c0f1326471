/**
 * Registry error answers and network failures turned into errors whose
 * messages say what happened and what to do. Bodies are read up to 64 KiB
 * and parsed defensively (JSON `errors[]`, plain text or an HTML page).
 * @module
 */
import * as v from "valibot";
import { DocumentError, parseDocument } from "../document.ts";
import {
  ConnectionRefusedError,
  ConnectionResetError,
  NetworkError,
  NotFoundError,
  RateLimitedError,
  RegistryError,
  type RegistryErrorEntry,
  SregistryError,
  TlsError,
  UnauthorizedError,
  UnknownHostError,
} from "../errors.ts";
import { ErrorBodySchema, ErrorEntrySchema } from "./_wire_schemas.ts";
import { classifyFetchFailure, isBlockedPortError, parseRetryAfter, safeUrl } from "./transport.ts";
import { badPortError } from "./bad_ports.ts";
import { findTimeout, readWithDeadline, seconds } from "./deadline.ts";

/** The largest error body we read. */
export const MAX_ERROR_BODY = 64 * 1024;

/**
 * Reads at most `limit` bytes of a body within `timeoutMs` (default 60 s) and
 * cancels the rest.
 * @throws {RequestTimeout} when the body is not complete in time
 */
export function readLimited(
  res: Response,
  limit: number,
  opts: { timeoutMs?: number; url?: string } = {},
): Promise<Uint8Array> {
  return readWithDeadline(res, { limit, ...opts });
}

/** `text` parsed and checked against `schema`, or undefined when it is not such JSON. */
function checkJson<S extends v.GenericSchema>(
  text: string,
  schema: S,
): v.InferOutput<S> | undefined {
  try {
    return parseDocument(text, schema, { kind: "error-body", fix: "" });
  } catch (e) {
    if (e instanceof DocumentError) return undefined;
    throw e;
  }
}

/** Parses an error body: the `errors` array of a JSON body, else a short text summary. */
export function parseErrorBody(text: string): { errors: RegistryErrorEntry[]; summary?: string } {
  const body = checkJson(text, ErrorBodySchema);
  if (body) {
    const errors = body.errors.flatMap((item) => {
      const e = v.safeParse(ErrorEntrySchema, item);
      if (!e.success) return [];
      const { code, message, detail } = e.output;
      return [{
        code: typeof code === "string" && /^[A-Z_]+$/.test(code) ? code : "UNKNOWN",
        message: typeof message === "string" ? message : undefined,
        detail,
      }];
    });
    return { errors };
  }
  if (/<html|<!doctype html/i.test(text)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
    return { errors: [], summary: `an HTML page${title ? ` "${clip(title)}"` : ""}` };
  }
  const plain = text.replace(/\s+/g, " ").trim();
  return { errors: [], summary: plain ? `"${clip(plain)}"` : undefined };
}

function clip(s: string, n = 200): string {
  const cut = s.length > n ? s.slice(0, n) + "…" : s;
  // The registry's words go to the user's terminal: no escape sequences, no line breaks.
  return cut.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f]/g;

/**
 * The class for an error answer, from its status and the `errors[].code`
 * values of its body (distribution spec, "Error Codes"): rate-limited (429,
 * TOOMANYREQUESTS), unauthorized (401, 403, UNAUTHORIZED, DENIED), not found
 * (404, MANIFEST_UNKNOWN, NAME_UNKNOWN, BLOB_UNKNOWN), else `RegistryError`.
 */
export function registryErrorClass(status: number, codes: string[]): typeof RegistryError {
  const has = (c: string) => codes.includes(c);
  if (status === 429 || has("TOOMANYREQUESTS")) return RateLimitedError;
  if (status === 401 || status === 403 || has("UNAUTHORIZED") || has("DENIED")) {
    return UnauthorizedError;
  }
  if (status === 404 || has("MANIFEST_UNKNOWN") || has("NAME_UNKNOWN") || has("BLOB_UNKNOWN")) {
    return NotFoundError;
  }
  return RegistryError;
}

/** What the user should do about an answer. */
function advice(status: number, codes: string[], host: string, retryAfter?: number): string {
  const kind = registryErrorClass(status, codes);
  if (kind === RateLimitedError) {
    const when = retryAfter !== undefined
      ? `retry in ${retryAfter} s (after ${new Date(Date.now() + retryAfter * 1000).toISOString()})`
      : "retry later";
    return `the registry's pull rate limit is reached: ${when}; logging in (\`sregistry login ${host}\`) raises the limit`;
  }
  if (kind === UnauthorizedError) {
    return `run \`sregistry login ${host}\` with an account that may pull it, or check the name`;
  }
  if (kind === NotFoundError) {
    return "check the name and tag; `sregistry tags REF` lists tags";
  }
  if (status >= 500) return "the registry has a problem; try again later";
  return "check the reference and the registry address";
}

/**
 * Builds a {@linkcode RegistryError} from an error answer, reading (and
 * consuming) at most 64 KiB of its body.
 * @param res The answer (status >= 400 or unexpected).
 * @param ctx `action` completes "Cannot <action>"; `method`/`url` of the request;
 *   `loginHost` the name to suggest to `sregistry login` (default: the URL's host);
 *   `timeoutMs` the total time the body may take (what came by then is used).
 */
export async function responseError(
  res: Response,
  ctx: { action: string; method: string; url: string; loginHost?: string; timeoutMs?: number },
): Promise<RegistryError> {
  // What arrived in time: the status is the error, the body only explains it.
  const bytes = await readWithDeadline(res, {
    limit: MAX_ERROR_BODY,
    timeoutMs: ctx.timeoutMs,
    onTimeout: "partial",
  }).catch(() => new Uint8Array(0));
  const { errors, summary } = parseErrorBody(new TextDecoder().decode(bytes));
  const host = hostOf(ctx.url);
  const loginHost = ctx.loginHost ?? host;
  const retryAfter = parseRetryAfter(res.headers.get("retry-after"));
  const codes = errors.map((e) => e.code);
  const said = errors.length
    ? errors.map((e) => (e.message ? `${e.code} (${clip(e.message)})` : e.code)).join(", ")
    : summary ?? "no details";
  const message =
    `Cannot ${ctx.action}: ${host} answered ${res.status} ${res.statusText || ""}`.trimEnd() +
    `: ${said}: ${advice(res.status, codes, loginHost, retryAfter)}`;
  const ErrorClass = registryErrorClass(res.status, codes);
  return new ErrorClass(message, {
    status: res.status,
    method: ctx.method,
    url: safeUrl(ctx.url),
    errors,
    retryAfter,
  });
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/**
 * Turns a network failure (refused, reset, unknown host, TLS, a phase that
 * timed out) into a clear error: "Cannot <action>: <reason>: <what to do>".
 * A typed failure ({@linkcode classifyFetchFailure}) keeps its class and
 * facts; one whose message is `complete` already (the HTTP client's
 * `tlsError`, which knows the TLS settings in force, or `badPortError`) is
 * returned as it is.
 */
export function networkError(e: unknown, url: string, action: string): SregistryError {
  if (e instanceof NetworkError && e.complete) return e;
  const host = hostOf(url);
  const timeout = findTimeout(e);
  if (isBlockedPortError(e)) return badPortError(url);
  const failure = timeout ? undefined : classifyFetchFailure(e, url);
  const facts = { host, url: safeUrl(url) };
  const options = { cause: e };
  const say = (reason: string, fix: string) => `Cannot ${action}: ${reason}: ${fix}`;
  if (timeout) {
    return new SregistryError(
      say(
        timeout.message,
        `check that the registry is up and your network or proxy passes it; SREGISTRY_TIMEOUT (now ${
          seconds(timeout.timeoutMs)
        }) sets this bound`,
      ),
      options,
    );
  }
  if (failure instanceof UnknownHostError) {
    return new UnknownHostError(
      say(`unknown host ${host}`, "check the registry name and your DNS/proxy settings"),
      facts,
      options,
    );
  }
  if (failure instanceof ConnectionRefusedError) {
    return new ConnectionRefusedError(
      say(
        `connection to ${host} refused`,
        "check the host and port, and whether the registry is up (or needs --no-https)",
      ),
      facts,
      options,
    );
  }
  if (failure instanceof TlsError) {
    return new TlsError(
      say(
        `TLS failure talking to ${host}`,
        "set SREGISTRY_CA_FILE to your CA bundle, or use --no-https for plain-HTTP registries",
      ),
      { ...facts, certificate: failure.certificate, detail: failure.detail },
      options,
    );
  }
  const fix = "check your connection and proxy settings, then try again";
  const message = say(`network error talking to ${host}`, fix);
  return failure instanceof ConnectionResetError
    ? new ConnectionResetError(message, facts, options)
    : new SregistryError(message, options);
}
