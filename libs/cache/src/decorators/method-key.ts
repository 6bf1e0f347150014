import { createHash } from 'node:crypto';
import { keyProblem } from '../values/validate-key';

/**
 * The default key of a decorated method call: `Class.method(<arguments as stable JSON>)`, object
 * keys sorted so `{a, b}` and `{b, a}` agree; hashed when it is not a valid key as it stands
 * (over the key's byte limit, or holding a NUL or a lone surrogate). Arguments
 * that cannot be told apart as JSON (functions, symbols, circular values) throw, and the call
 * then runs uncached.
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
      if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) {
        // Class instances key by what they say they are, or not at all.
        const toJSON = (value as { toJSON?: () => unknown }).toJSON;
        if (typeof toJSON === 'function')
          return `${value.constructor.name}(${stableJson(toJSON.call(value), ancestors)})`;
        if (Object.getOwnPropertySymbols(value).length > 0 || Object.keys(value).length === 0) {
          throw new TypeError(`a ${value.constructor.name} argument cannot be part of a cache key`);
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
      return text;
    }
    case 'number':
      // JSON would turn these into null, like null itself.
      return Number.isFinite(value) ? JSON.stringify(value) : String(value);
    default:
      return JSON.stringify(value);
  }
}
