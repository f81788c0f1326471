/**
 * Whether a file is there, the two questions the store, the pull and the API
 * ask: "can I see it" ({@linkcode exists}) and "is it known to be gone"
 * ({@linkcode isMissing}), which differ for a path whose stat is refused.
 * @module
 */

/** The error `Deno.statSync(path)` throws, or undefined when it succeeds. */
function statError(path: string): unknown {
  try {
    Deno.statSync(path);
    return undefined;
  } catch (e) {
    return e;
  }
}

/** True when `path` (followed through links) can be stat'ed; a refused stat counts as absent. */
export function exists(path: string): boolean {
  return statError(path) === undefined;
}

/**
 * True only when `path` is known to be gone (`NotFound`); a refused stat
 * (permission, a folder in the path that is a file...) is not "gone", so the
 * caller's own open reports it.
 */
export function isMissing(path: string): boolean {
  return statError(path) instanceof Deno.errors.NotFound;
}
