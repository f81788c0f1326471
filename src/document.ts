/**
 * JSON documents read from outside (a registry, an archive, a layout, a file
 * of the user's or of another sregistry process): parsed with bounds on size
 * and nesting, then checked against a schema (valibot). Anything malformed
 * becomes a {@linkcode DocumentError}; no `TypeError`, `RangeError` or
 * `SyntaxError` escapes.
 *
 * Messages never quote the document's values (a docker config or a token
 * answer holds secrets): they give the JSON path and the expected and found
 * types only.
 * @module
 */
import * as v from "valibot";
import { SregistryError } from "./errors.ts";
import type { DocumentIssue } from "./error_facts.ts";
import { type DocumentKind, documentMessage } from "./messages.ts";

export type { DocumentIssue } from "./error_facts.ts";
export { DOCUMENT_LABELS, type DocumentKind } from "./messages.ts";

function isPlainObject(x: unknown): boolean {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** A JSON object schema, loose (unknown fields kept); unlike `v.looseObject`, arrays are refused. */
export type JsonObjectSchema<E extends v.ObjectEntries> = v.SchemaWithPipe<
  readonly [
    v.CustomSchema<
      v.InferInput<v.LooseObjectSchema<E, undefined>>,
      v.ErrorMessage<v.CustomIssue> | undefined
    >,
    v.LooseObjectSchema<E, undefined>,
  ]
>;

/**
 * A JSON object with `entries` typed and any other field kept (image-spec:
 * unknown fields are ignored). Arrays and null are refused.
 */
export function jsonObject<const E extends v.ObjectEntries>(entries: E): JsonObjectSchema<E> {
  const object = v.looseObject(entries);
  return v.pipe(
    v.custom<v.InferInput<typeof object>>(isPlainObject, "expected an object"),
    object,
  );
}

/** A JSON record schema; unlike `v.record`, arrays are refused. */
export type JsonRecordSchema<T extends v.GenericSchema> = v.SchemaWithPipe<
  readonly [
    v.CustomSchema<
      v.InferInput<v.RecordSchema<v.StringSchema<undefined>, T, undefined>>,
      v.ErrorMessage<v.CustomIssue> | undefined
    >,
    v.RecordSchema<v.StringSchema<undefined>, T, undefined>,
  ]
>;

/** A JSON object used as a map from string keys to `value`s. Arrays and null are refused. */
export function jsonRecord<T extends v.GenericSchema>(value: T): JsonRecordSchema<T> {
  const record = v.record(v.string(), value);
  return v.pipe(
    v.custom<v.InferInput<typeof record>>(isPlainObject, "expected an object"),
    record,
  );
}

/** Removes user info, query and fragment from a URL origin; other origins are kept. */
function safeOrigin(origin: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(origin)) return origin;
  try {
    const url = new URL(origin);
    if (url.protocol !== "http:" && url.protocol !== "https:") return origin;
    url.username = "";
    url.password = "";
    url.search = "";
    url.hash = "";
    return url.href;
  } catch {
    return origin.replace(/\/\/[^/@]*@/, "//");
  }
}

/**
 * A JSON document that is not what it must be: not JSON, too large, too
 * deeply nested, or not matching its schema. The CLI exits with code 1.
 *
 * `origin` says where the document came from (a URL without credentials, a
 * file path, a digest); `issues` lists what is wrong, first ones first.
 */
export class DocumentError extends SregistryError {
  readonly kind: DocumentKind;
  readonly origin: string;
  readonly issues: readonly DocumentIssue[];
  constructor(
    init: { kind: DocumentKind; origin?: string; issues: DocumentIssue[]; fix: string },
    options?: ErrorOptions,
  ) {
    const origin = safeOrigin(init.origin ?? "");
    super(documentMessage({ ...init, origin }), options);
    this.kind = init.kind;
    this.origin = origin;
    this.issues = init.issues;
  }
}

/** Where a document came from and what the user should do when it is bad. */
export interface DocumentContext {
  kind: DocumentKind;
  /** A URL (credentials are removed), a file path, or `docker://ref (digest)`. */
  origin?: string;
  /** The end of the message: what to do, e.g. `report it to the image's maintainer`. */
  fix: string;
  /** Largest accepted size in bytes (default 4 MiB). */
  maxBytes?: number;
  /** Deepest accepted nesting of objects and arrays (default 64). */
  maxDepth?: number;
}

const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;
const DEFAULT_MAX_DEPTH = 64;

function fail(ctx: DocumentContext, message: string, cause?: unknown): never {
  throw new DocumentError(
    { kind: ctx.kind, origin: ctx.origin, issues: [{ path: "", message }], fix: ctx.fix },
    cause === undefined ? undefined : { cause },
  );
}

/** The depth of the deepest `{`/`[` outside strings, stopping early past `limit`. */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

/** Where a JSON syntax error is ("at line L, column C"), never the engine's quote of the text. */
function syntaxWhere(text: string, error: unknown): string {
  const m = /position (\d+)/.exec(String(error));
  if (!m) return "";
  const before = text.slice(0, Number(m[1]));
  const line = before.split("\n").length;
  return ` at line ${line}, column ${before.length - before.lastIndexOf("\n")}`;
}

/**
 * Parses JSON text or UTF-8 bytes within the context's size and depth bounds;
 * a leading byte order mark is ignored.
 * @returns the parsed value (any JSON type)
 * @throws {DocumentError} when too large, too deep, or not JSON
 */
export function parseJsonText(input: string | Uint8Array, ctx: DocumentContext): unknown {
  const maxBytes = ctx.maxBytes ?? DEFAULT_MAX_BYTES;
  const size = typeof input === "string" ? input.length : input.length;
  if (size > maxBytes) fail(ctx, `it is ${size} bytes, more than the ${maxBytes} allowed`);
  // A leading byte order mark (editors on Windows write one) is not part of the JSON:
  // TextDecoder drops it from bytes, and text read from a file keeps it.
  const text = typeof input === "string"
    ? input.replace(/^\uFEFF/, "")
    : new TextDecoder().decode(input);
  const maxDepth = ctx.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (jsonDepth(text, maxDepth) > maxDepth) {
    fail(ctx, `it is nested deeper than ${maxDepth} levels`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(ctx, `it is not JSON${syntaxWhere(text, e)}`);
  }
}

/** `$`, `$.layers[0].digest`, `$.auths["r.example"]`. */
function pathOf(issue: v.BaseIssue<unknown>): string {
  let out = "$";
  for (const item of issue.path ?? []) {
    const key = item.key;
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(String(key).slice(0, 60))}]`;
  }
  return out;
}

/** What a value is, without showing it: `null`, `an array`, `a string`... */
export function describeType(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  const t = typeof value;
  return t === "object"
    ? "an object"
    : t === "number" && !Number.isFinite(value)
    ? "NaN"
    : `a ${t}`;
}

const EXPECTED: Record<string, string> = {
  Object: "an object",
  Array: "an array",
  string: "a string",
  number: "a number",
  boolean: "a boolean",
};

function issueText(issue: v.BaseIssue<unknown>): DocumentIssue {
  const path = pathOf(issue);
  if (issue.type === "custom") {
    return { path, message: `is ${describeType(issue.input)}, ${issue.message}` };
  }
  if (issue.kind === "schema") {
    const expected = EXPECTED[issue.expected ?? ""] ?? issue.expected ?? "something else";
    const last = issue.path?.at(-1) as { origin?: string } | undefined;
    if (last?.origin === "key") return { path, message: "is missing" };
    if (issue.input === undefined) return { path, message: `is missing (expected ${expected})` };
    return { path, message: `is ${describeType(issue.input)}, expected ${expected}` };
  }
  // Validation issues carry the schema's own message, which never quotes the value.
  return { path, message: issue.message };
}

/**
 * Checks a parsed value against `schema`.
 * @returns the schema's output (unknown fields kept where the schema is loose)
 * @throws {DocumentError} listing the first issues with their JSON paths
 */
export function validate<S extends v.GenericSchema>(
  schema: S,
  value: unknown,
  ctx: DocumentContext,
): v.InferOutput<S> {
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  throw new DocumentError({
    kind: ctx.kind,
    origin: ctx.origin,
    issues: result.issues.map(issueText),
    fix: ctx.fix,
  });
}

/**
 * Parses and validates a JSON document: {@linkcode parseJsonText} then
 * {@linkcode validate}.
 * @throws {DocumentError} when the document is not JSON, too large, too deep or off the schema
 * @example
 * ```ts
 * import * as v from "valibot";
 * import { DocumentError, parseDocument } from "./document.ts";
 * const ctx = { kind: "lock", origin: "/tmp/x.lock", fix: "remove it" } as const;
 * const owner = parseDocument('{"pid": 12}', v.object({ pid: v.number() }), ctx);
 * if (owner.pid !== 12) throw new Error();
 * try {
 *   parseDocument("null", v.object({ pid: v.number() }), ctx);
 * } catch (e) {
 *   if (!(e instanceof DocumentError) || !e.message.includes("$ is null")) throw e;
 * }
 * ```
 */
export function parseDocument<S extends v.GenericSchema>(
  input: string | Uint8Array,
  schema: S,
  ctx: DocumentContext,
): v.InferOutput<S> {
  return validate(schema, parseJsonText(input, ctx), ctx);
}
