/**
 * The scripting API's arguments, checked at the boundary with valibot: a
 * wrong type or value (`pull(undefined)`, `images(5)`, `{ builder: "bogus" }`,
 * `{ platform: 5 }`) is a `TypeError` naming the argument and what it takes,
 * before anything is opened or downloaded (it used to surface deep inside as
 * "Cannot read properties of undefined", "queries.map is not a function",
 * or a mksquashfs failure). Unknown option names are refused too: a typo
 * (`{ nocache: true }`) would otherwise be ignored in silence.
 * @module
 */
import * as v from "valibot";

const BUILDERS = ["auto", "native", "mksquashfs", "apptainer", "singularity"] as const;
const COMPRESSIONS = ["gzip", "zstd", "lz4", "xz"] as const;

const text = (what = "a non-empty string") =>
  v.pipe(v.string(what), v.check((s) => s.trim() !== "" && !s.includes("\0"), what));
const flag = v.optional(v.boolean("true or false"));
const path = v.optional(text("a non-empty path"));

/** Where settings come from (`ApiOptions`): shared by every call. */
const API_ENTRIES = {
  session: v.optional(v.custom<object>((x) => typeof x === "object" && x !== null, "a Session")),
  env: v.optional(
    v.record(v.string(), v.optional(v.string()), "an object of strings (the environment)"),
  ),
  fetch: v.optional(v.function("a function (Request) => Promise<Response>")),
  overrides: v.optional(v.looseObject({}, "an object of settings")),
  onEvent: v.optional(v.function("a function receiving pull events")),
  debug: flag,
};

const PLATFORM = v.union([
  text("os/arch[/variant]"),
  v.looseObject({
    os: v.string(),
    architecture: v.string(),
    variant: v.optional(v.string()),
  }),
], 'a string "os/arch[/variant]" or { os, architecture, variant? }');

const PULL_OPTIONS = v.strictObject({
  ...API_ENTRIES,
  name: path,
  dir: path,
  force: flag,
  noCache: flag,
  sandbox: path,
  keepSandbox: path,
  platform: v.optional(PLATFORM),
  builder: v.optional(v.picklist(BUILDERS, `one of ${BUILDERS.join(", ")}`)),
  compression: v.optional(v.picklist(COMPRESSIONS, `one of ${COMPRESSIONS.join(", ")}`)),
  sudo: flag,
  noHttps: flag,
  jobs: v.optional(
    v.pipe(
      v.number("a whole number from 1 to 64"),
      v.integer("a whole number from 1 to 64"),
      v.minValue(1, "a whole number from 1 to 64"),
      v.maxValue(64, "a whole number from 1 to 64"),
    ),
  ),
  offline: flag,
  reference: v.optional(text("a reference")),
  blobCache: flag,
  signal: v.optional(v.instance(AbortSignal, "an AbortSignal")),
}, "an object of pull options");

const API_OPTIONS = v.strictObject(API_ENTRIES, "an object of options");
const ADD_OPTIONS = v.strictObject({ ...API_ENTRIES, copy: flag, force: flag }, "an object");
const QUERY = v.union([v.string(), v.array(v.string())], "a string or an array of strings");

/** A short, secret-free description of a refused value. */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "string":
      return value.length > 60 ? `a string of ${value.length} characters` : JSON.stringify(value);
    case "number":
    case "boolean":
    case "undefined":
    case "bigint":
      return String(value);
    case "function":
      return "a function";
    default:
      return `an ${typeof value}`;
  }
}

function check<T>(
  call: string,
  argument: string,
  schema: v.GenericSchema<unknown, T>,
  value: unknown,
): void {
  const result = v.safeParse(schema, value);
  if (result.success) return;
  const issue = result.issues[0];
  const keys = (issue.path ?? []).map((p) => String(p.key));
  const where = [argument, ...keys].join(".");
  if (issue.type === "strict_object" && keys.length > 0) {
    throw new TypeError(`${call}(): ${where} is not an option of ${call}(): remove it`);
  }
  throw new TypeError(`${call}(): ${where} must be ${issue.message}, not ${describe(issue.input)}`);
}

/**
 * Checks the arguments of `pull(reference, options)`.
 * @throws {TypeError} naming the argument (`options.builder`) and what it takes
 */
export function checkPullArguments(reference: unknown, options: unknown): void {
  check("pull", "reference", text("a non-empty image reference"), reference);
  check("pull", "options", PULL_OPTIONS, options);
}

/**
 * Checks the references (and `options`) of `get`, `inspect`, `rm`, `mv`,
 * `rename` and `add`; `names` maps each argument's name to its value.
 * @throws {TypeError} naming the argument and what it takes
 */
export function checkArguments(
  call: string,
  names: Record<string, unknown>,
  options: unknown,
  kind: "api" | "add" = "api",
): void {
  for (const [name, value] of Object.entries(names)) {
    check(call, name, text(`a non-empty ${name === "path" ? "path" : "string"}`), value);
  }
  check(call, "options", kind === "add" ? ADD_OPTIONS : API_OPTIONS, options);
}

/**
 * Checks `images(query, options)`.
 * @throws {TypeError} naming the argument and what it takes
 */
export function checkImagesArguments(query: unknown, options: unknown): void {
  check("images", "query", QUERY, query);
  check("images", "options", API_OPTIONS, options);
}
