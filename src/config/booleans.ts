/**
 * Boolean settings, read the way the original's `convert2boolean` did.
 * @module
 */

const TRUE_WORDS = new Set(["yes", "true", "t", "1", "y"]);

/**
 * Reads a boolean setting: `yes`, `true`, `t`, `1` or `y` in any case (and
 * surrounding spaces) are true; anything else, unset included, is false.
 *
 * The original tested some variables (`*_NOHTTPS`, `SREGISTRY_DOCKER_CMD`)
 * for mere presence, so `=false` switched them on; here every boolean goes
 * through this function.
 *
 * @param value the raw value, `undefined` when unset
 * @returns whether the value means "true"
 * @example
 * ```ts
 * parseBoolean("Yes"); // true
 * parseBoolean("false"); // false
 * ```
 */
export function parseBoolean(value: string | undefined): boolean {
  return value !== undefined && TRUE_WORDS.has(value.trim().toLowerCase());
}
