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
import { clip, networkMessage, timeoutMessage } from "../messages.ts";
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
  const ErrorClass = registryErrorClass(res.status, errors.map((e) => e.code));
  return new ErrorClass({
    action: ctx.action,
    status: res.status,
    statusText: res.statusText,
    method: ctx.method,
    url: safeUrl(ctx.url),
    host: hostOf(ctx.url),
    loginHost: ctx.loginHost,
    errors,
    summary,
    retryAfter: parseRetryAfter(res.headers.get("retry-after")),
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
 * facts, now with `action`; one whose message is `complete` already (the HTTP
 * client's `tlsError`, which knows the TLS settings in force, or
 * `badPortError`) is returned as it is. The wording is `src/messages.ts`'s.
 */
export function networkError(e: unknown, url: string, action: string): SregistryError {
  if (e instanceof NetworkError && e.complete) return e;
  const timeout = findTimeout(e);
  if (isBlockedPortError(e)) return badPortError(url);
  const options = { cause: e };
  if (timeout) {
    return new SregistryError(
      timeoutMessage({ action, reason: timeout.message, seconds: seconds(timeout.timeoutMs) }),
      options,
    );
  }
  const failure = classifyFetchFailure(e, url);
  const proxy = failure?.proxy;
  const facts = { host: hostOf(url), url: safeUrl(url), action, ...(proxy ? { proxy } : {}) };
  if (failure instanceof TlsError) {
    const { certificate, detail } = failure;
    return new TlsError({ ...facts, certificate, detail }, options);
  }
  for (const Class of [UnknownHostError, ConnectionRefusedError, ConnectionResetError]) {
    if (failure instanceof Class) return new Class(facts, options);
  }
  // Unclassified (an abort, an unknown runtime error): no class to claim.
  return new SregistryError(networkMessage("network", facts), options);
}
