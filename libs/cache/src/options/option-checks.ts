import { InvalidOptionError } from '../errors/cache.error';

/** Renders a value for an error message, whatever it is. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Fails unless `value` is a plain object; returns it typed as a record. */
export function expectObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(`${path}: expected an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

/** Fails on keys outside `known`, so a typo (`defaultTTL`) is not silently ignored. */
export function expectKnownKeys(
  value: Record<string, unknown>,
  known: readonly string[],
  path: string,
): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new InvalidOptionError(
        `${path}.${key}: unknown option`,
        `known options: ${known.join(', ')}`,
      );
    }
  }
}

/** Fails unless `value` is a positive safe integer. */
export function expectPositiveInteger(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidOptionError(`${path}: ${describe(value)} is not a positive integer`);
  }
  return value;
}

/** Fails unless `value` is one of `allowed`. */
export function expectOneOf<T>(value: unknown, allowed: readonly T[], path: string): T {
  if (!allowed.includes(value as T)) {
    throw new InvalidOptionError(
      `${path}: ${describe(value)} is not one of ${allowed.map((a) => describe(a)).join(', ')}`,
    );
  }
  return value as T;
}

/** Fails unless `value` is an array of non-empty strings; returns a de-duplicated copy. */
export function expectStringList(value: unknown, path: string): string[] {
  if (!Array.isArray(value)) {
    throw new InvalidOptionError(`${path}: expected an array of strings, got ${describe(value)}`);
  }
  value.forEach((item, i) => {
    if (typeof item !== 'string' || item.length === 0) {
      throw new InvalidOptionError(`${path}[${i}]: ${describe(item)} is not a non-empty string`);
    }
  });
  return [...new Set(value as string[])];
}

/** Fails unless `value` is a boolean. */
export function expectBoolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean')
    throw new InvalidOptionError(`${path}: ${describe(value)} is not a boolean`);
  return value;
}
