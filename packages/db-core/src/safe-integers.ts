/**
 * Statements read with libsql-js's `safeIntegers(true)`, so every integer arrives as a bigint
 * and none beyond 2^53 is silently rounded. Most integers are small, and callers expect plain
 * numbers for those, so this turns the safe ones back into numbers in place.
 *
 * @example
 * exactIntegers([1n, 2n ** 60n, 'x']); // [1, 1152921504606846976n, 'x']
 */
export function exactIntegers<T extends unknown[]>(values: T): T {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value === 'bigint' && value >= MIN_SAFE && value <= MAX_SAFE) values[i] = Number(value);
  }
  return values;
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
