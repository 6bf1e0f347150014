import { createHash } from 'node:crypto';
import { keyProblem } from '../values/validate-key';

/**
 * The default key of a decorated method call: `Class.method(<arguments as stable JSON>)`, object
 * keys sorted so `{a, b}` and `{b, a}` agree; hashed when it is not a valid key as it stands
 * (over the key's byte limit, or holding a NUL or a lone surrogate). A class instance is keyed
 * by its class's name and its fields or `toJSON`. Arguments that cannot be told apart as JSON
 * (functions, symbols, circular values) throw, and the call then runs uncached.
 */
export function methodCallKey(className: string, method: string, args: readonly unknown[]): string {
  const key = `${className}.${method}(${stableJson(args, new Set())})`;
  if (keyProblem(key) === undefined) return key;
  return `${className}.${method}#${createHash('sha256').update(key).digest('base64url')}`;
}

function stableJson(value: unknown, ancestors: Set<object>): string {
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'bigint':
      return `${value}n`;
    case 'function':
    case 'symbol':
      throw new TypeError(`a ${typeof value} argument cannot be part of a cache key`);
    case 'object': {
      if (value === null) return 'null';
      if (value instanceof Date) return `Date(${value.toISOString()})`;
      if (value instanceof Map) return `Map(${stableJson([...value.entries()], ancestors)})`;
      if (value instanceof Set) return `Set(${stableJson([...value.values()], ancestors)})`;
      const proto: unknown = Object.getPrototypeOf(value);
      // A class instance keys by its class too (`new ById('1')` and `new BySlug('1')` differ),
      // and by what it says it is, or not at all.
      let kind = '';
      if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) {
        kind = (value.constructor as { name?: string } | undefined)?.name ?? '?';
        const toJSON = (value as { toJSON?: () => unknown }).toJSON;
        if (typeof toJSON === 'function')
          return `${kind}(${stableJson(toJSON.call(value), ancestors)})`;
        if (Object.getOwnPropertySymbols(value).length > 0 || Object.keys(value).length === 0) {
          throw new TypeError(`a ${kind} argument cannot be part of a cache key`);
        }
      }
      if (ancestors.has(value))
        throw new TypeError('a circular argument cannot be part of a cache key');
      ancestors.add(value);
      const text = Array.isArray(value)
        ? `[${value.map((item) => stableJson(item, ancestors)).join(',')}]`
        : `{${Object.keys(value)
            .sort()
            .map(
              (name) =>
                `${JSON.stringify(name)}:${stableJson((value as Record<string, unknown>)[name], ancestors)}`,
            )
            .join(',')}}`;
      ancestors.delete(value);
      return `${kind}${text}`;
    }
    case 'number':
      // JSON would turn these into null, like null itself, and -0 into 0 (yet 1 / -0 is -Infinity).
      if (Object.is(value, -0)) return '-0';
      return Number.isFinite(value) ? JSON.stringify(value) : String(value);
    default:
      return JSON.stringify(value);
  }
}
