/**
 * Numeric and enumerated settings: whole numbers in a range, byte sizes with
 * units, one of a set of words.
 * Errors name the variable; numeric values are not secrets, so they are shown.
 * @module
 */
import { UsageError } from "../errors.ts";

/**
 * A setting whose value the parsers below refuse. The message is the one for
 * a value from the environment; `expected` ("a whole number from 1 to 64")
 * and `example` let the caller say the same about a value stored in the
 * settings file or given to `backend add`.
 */
export class SettingValueError extends UsageError {
  /** The variable, e.g. `SREGISTRY_PYTHON_THREADS`. */
  readonly variable: string;
  /** The refused value (numbers and words: never a secret). */
  readonly value: string;
  /** What the variable takes, e.g. "a whole number from 1 to 64". */
  readonly expected: string;
  /** A valid value, e.g. "30", when there is a useful one. */
  readonly example?: string;
  constructor(variable: string, value: string, expected: string, example?: string) {
    super(
      `Cannot use ${variable}="${value}": it is not ${expected}: set it to one${
        example ? ` (e.g. ${example})` : ""
      }, or unset it`,
    );
    this.variable = variable;
    this.value = value;
    this.expected = expected;
    this.example = example;
  }
}

/** Parses a whole number from `min` to `max`. */
export function parseCount(name: string, value: string, min: number, max: number): number {
  const text = value.trim();
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new SettingValueError(name, value, `a whole number from ${min} to ${max}`);
  }
  return n;
}

/** One of `choices` (case-insensitive). */
export function parseChoice<T extends string>(
  name: string,
  value: string,
  choices: readonly T[],
): T {
  const text = value.trim().toLowerCase();
  const found = choices.find((c) => c === text);
  if (found === undefined) {
    throw new SettingValueError(name, value, `one of ${choices.join(", ")}`);
  }
  return found;
}

/**
 * The longest delay a timer takes, in seconds (2^31 - 1 ms, about 24 days):
 * past it, `setTimeout` fires at once.
 */
export const MAX_TIMER_S = Math.floor((2 ** 31 - 1) / 1000);

/**
 * Parses a number of seconds (decimals allowed), at least 1 ms and at most
 * {@linkcode MAX_TIMER_S} (a larger one would make every timer fire at once).
 * @throws {SettingValueError} naming the variable and the range
 */
export function parseSeconds(name: string, value: string): number {
  const text = value.trim();
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || n < 0.001 || n > MAX_TIMER_S) {
    throw new SettingValueError(
      name,
      value,
      `a number of seconds from 0.001 to ${MAX_TIMER_S} (24 days)`,
      "30",
    );
  }
  return n;
}

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 2 ** 10,
  kb: 2 ** 10,
  kib: 2 ** 10,
  m: 2 ** 20,
  mb: 2 ** 20,
  mib: 2 ** 20,
  g: 2 ** 30,
  gb: 2 ** 30,
  gib: 2 ** 30,
  t: 2 ** 40,
  tb: 2 ** 40,
  tib: 2 ** 40,
};

/** Parses a size such as `1073741824`, `512M`, `10GiB` (units are powers of 1024). */
export function parseBytes(name: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = match ? UNITS[match[2].toLowerCase()] : undefined;
  const n = match && unit ? Math.floor(Number(match[1]) * unit) : 0;
  if (!(n > 0) || !Number.isSafeInteger(n)) {
    throw new SettingValueError(
      name,
      value,
      "a size in bytes (e.g. 1073741824, 512M, 10GiB)",
    );
  }
  return n;
}
