/**
 * Numeric and enumerated settings: whole numbers in a range, byte sizes with
 * units, one of a set of words.
 * Errors name the variable; numeric values are not secrets, so they are shown.
 * @module
 */
import { UsageError } from "../errors.ts";

/** Parses a whole number from `min` to `max`. */
export function parseCount(name: string, value: string, min: number, max: number): number {
  const text = value.trim();
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new UsageError(
      `Cannot use ${name}="${value}": it is not a whole number from ${min} to ${max}: set it to one, or unset it`,
    );
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
    throw new UsageError(
      `Cannot use ${name}="${value}": it is not one of ${
        choices.join(", ")
      }: set it to one, or unset it`,
    );
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
 * @throws {UsageError} naming the variable and the range
 */
export function parseSeconds(name: string, value: string): number {
  const text = value.trim();
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || n < 0.001 || n > MAX_TIMER_S) {
    throw new UsageError(
      `Cannot use ${name}="${value}": it is not a number of seconds from 0.001 to ${MAX_TIMER_S} (24 days): set it to one (e.g. 30), or unset it`,
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
    throw new UsageError(
      `Cannot use ${name}="${value}": it is not a size in bytes (e.g. 1073741824, 512M, 10GiB): set it to one, or unset it`,
    );
  }
  return n;
}
