/**
 * Assertions for tests, with @std/assert's names (JSR is not reachable), on
 * top of `node:assert/strict`.
 * @module
 */
import assert from "node:assert/strict";

/** Deep, strict equality. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  assert.deepStrictEqual(actual, expected, message as string);
}

/** Deep, strict inequality. */
export function assertNotEquals<T>(actual: T, expected: T, message?: string): void {
  assert.notDeepStrictEqual(actual, expected, message as string);
}

/** A truthy value. */
export function assert_(value: unknown, message?: string): asserts value {
  assert.ok(value, message as string);
}
export { assert_ as assert };

/** `actual` contains `expected`. */
export function assertStringIncludes(actual: string, expected: string, message?: string): void {
  assert.ok(
    actual.includes(expected),
    message ?? `expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
  );
}

/** `actual` matches `pattern`. */
export function assertMatch(actual: string, pattern: RegExp, message?: string): void {
  assert.match(actual, pattern, message as string);
}

/** `fn` throws an instance of `ErrorClass` whose message includes `includes`. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  ErrorClass: new (...args: any[]) => E = Error as never,
  includes?: string,
): E {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ErrorClass, `expected ${ErrorClass.name}, got ${e}`);
    if (includes) assertStringIncludes((e as Error).message, includes);
    return e as E;
  }
  throw new assert.AssertionError({ message: `expected ${ErrorClass.name} to be thrown` });
}

/** `fn` rejects with an instance of `ErrorClass` whose message includes `includes`. */
export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  ErrorClass: new (...args: any[]) => E = Error as never,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof ErrorClass, `expected ${ErrorClass.name}, got ${e}`);
    if (includes) assertStringIncludes((e as Error).message, includes);
    return e as E;
  }
  throw new assert.AssertionError({ message: `expected ${ErrorClass.name} rejection` });
}
