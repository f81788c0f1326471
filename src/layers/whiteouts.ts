/**
 * OCI whiteouts, as pure functions of a cleaned entry name
 * (`src/layers/paths.ts` `cleanEntryName`): `.wh..wh..opq` in a directory
 * hides everything lower layers put there; `.wh.<name>` hides `<name>` of
 * lower layers. The opaque marker is checked first, since it also starts with
 * `.wh.`.
 * @module
 */

/** The opaque marker's file name. */
export const OPAQUE_MARKER = ".wh..wh..opq";
/** The prefix of whiteout file names. */
export const WHITEOUT_PREFIX = ".wh.";

/** What a layer entry means for the layers below it. */
export type Classified =
  /** Hide every lower-layer entry below `dir` ("" is the root). */
  | { kind: "opaque"; dir: string }
  /** Hide the lower-layer entry `target` (and its contents). */
  | { kind: "whiteout"; target: string }
  /** A whiteout that names nothing usable (`.wh.`, `.wh..`, `.wh...`): ignore it. */
  | { kind: "invalid"; reason: string }
  /** An ordinary entry. */
  | { kind: "entry" };

/**
 * Classifies a cleaned entry name (relative, `/`-separated, no `.`/`..`).
 *
 * @example
 * ```ts
 * classify("etc/.wh.passwd"); // { kind: "whiteout", target: "etc/passwd" }
 * classify("var/.wh..wh..opq"); // { kind: "opaque", dir: "var" }
 * ```
 */
export function classify(name: string): Classified {
  const slash = name.lastIndexOf("/");
  const dir = slash < 0 ? "" : name.slice(0, slash);
  const base = name.slice(slash + 1);
  if (base === OPAQUE_MARKER) return { kind: "opaque", dir };
  if (!base.startsWith(WHITEOUT_PREFIX)) return { kind: "entry" };
  const hidden = base.slice(WHITEOUT_PREFIX.length);
  if (hidden === "" || hidden === "." || hidden === "..") {
    return { kind: "invalid", reason: `whiteout ${JSON.stringify(base)} names no entry` };
  }
  return { kind: "whiteout", target: dir ? `${dir}/${hidden}` : hidden };
}
