/**
 * The few assertions the tests need (`@std/assert` is JSR-only here).
 *
 * @module
 */

/** An assertion failed. */
export class AssertionError extends Error {
  override name = "AssertionError";
}

/** Throws unless `condition` is truthy. */
export function assert(
  condition: unknown,
  msg = "Assertion failed",
): asserts condition {
  if (!condition) throw new AssertionError(msg);
}

/** Throws unless `actual` and `expected` are deeply equal (JSON-shaped values). */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  const a = canonical(actual);
  const e = canonical(expected);
  if (a !== e) {
    throw new AssertionError(`${msg ? msg + ": " : ""}expected ${e}, got ${a}`);
  }
}

/** Throws unless `actual` matches `re`. */
export function assertMatch(actual: string, re: RegExp, msg?: string): void {
  if (!re.test(actual)) {
    throw new AssertionError(
      `${msg ? msg + ": " : ""}expected ${
        JSON.stringify(actual)
      } to match ${re}`,
    );
  }
}

/** Throws unless `actual` does not match `re`. */
export function assertNotMatch(actual: string, re: RegExp, msg?: string): void {
  if (re.test(actual)) {
    throw new AssertionError(
      `${msg ? msg + ": " : ""}expected ${
        JSON.stringify(actual)
      } not to match ${re}`,
    );
  }
}

/** Throws unless `fn` throws (or rejects with) an instance of `type`; returns the error. */
export async function assertRejects<E extends Error>(
  fn: () => unknown,
  type: new (...args: never[]) => E,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof type)) {
      throw new AssertionError(`expected ${type.name}, got ${err}`);
    }
    if (includes !== undefined && !err.message.includes(includes)) {
      throw new AssertionError(
        `expected message to include ${
          JSON.stringify(includes)
        }: ${err.message}`,
      );
    }
    return err;
  }
  throw new AssertionError(`expected ${type.name} to be thrown`);
}

function canonical(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(
          Object.entries(v).sort(([x], [y]) => x < y ? -1 : 1),
        )
        : v === undefined
        ? "__undefined__"
        : v,
  ) ?? "undefined";
}
