import { InvalidOptionError } from '../errors/cache.error';
import { CACHE_DEFAULTS } from './cache-options.defaults';
import type { GetOrSetOptions, SetOptions } from './call-options.interface';
import { parseDuration, parseTimerDuration, parseTtl } from './duration';
import {
  describe,
  expectKnownKeys,
  expectObject,
  expectOneOf,
  expectStringList,
} from './option-checks';
import { PERSISTENCE_LEVELS, type PersistenceLevel } from './persistence-level';
import { expectKeyText } from '../values/validate-key';

const SET_KEYS = ['ttl', 'tags', 'indexes', 'persistence'] as const;
const GET_OR_SET_KEYS = [
  ...SET_KEYS,
  'lock',
  'unless',
  'grace',
  'timeout',
  'hardTimeout',
  'refreshAhead',
] as const;
const LOCK_KEYS = ['ttl', 'wait'] as const;

/** Per-call options after validation; absent fields take the namespace's settings. */
export interface ParsedSetOptions {
  readonly ttl?: number;
  readonly tags?: readonly string[];
  readonly indexes?: Readonly<Record<string, string>>;
  readonly persistence?: PersistenceLevel;
}

/** `getOrSet` options after validation. */
export interface ParsedGetOrSetOptions extends ParsedSetOptions {
  readonly lock?: { readonly ttl: number; readonly wait: number };
  readonly unless?: (value: never) => boolean;
  readonly grace?: number;
  readonly timeout?: number;
  readonly hardTimeout?: number;
  readonly refreshAhead?: number;
}

const NO_OPTIONS: ParsedSetOptions = Object.freeze({});

/** Validates the per-call options of `set` and friends. */
export function parseSetOptions(raw: SetOptions | undefined, path = 'options'): ParsedSetOptions {
  if (raw === undefined) return NO_OPTIONS;
  return parseOptions(raw, SET_KEYS, path);
}

/** Validates the options of `getOrSet`. */
export function parseGetOrSetOptions(
  raw: GetOrSetOptions | undefined,
  path = 'options',
): ParsedGetOrSetOptions {
  if (raw === undefined) return NO_OPTIONS;
  const parsed: ParsedGetOrSetOptions = parseOptions(raw, GET_OR_SET_KEYS, path);
  if (raw.unless !== undefined && typeof raw.unless !== 'function') {
    throw new InvalidOptionError(`${path}.unless: expected a function`);
  }
  if (raw.unless) Object.assign(parsed, { unless: raw.unless });
  if (raw.grace !== undefined)
    Object.assign(parsed, { grace: parseTtl(raw.grace, `${path}.grace`) });
  for (const name of ['timeout', 'hardTimeout'] as const) {
    if (raw[name] === undefined) continue;
    const ms = parseTimerDuration(raw[name], `${path}.${name}`);
    // Infinity waits for the loader, as no timeout does.
    if (ms !== Infinity) Object.assign(parsed, { [name]: ms });
  }
  if (raw.refreshAhead !== undefined) {
    const share = raw.refreshAhead;
    if (typeof share !== 'number' || !(share > 0 && share < 1)) {
      throw new InvalidOptionError(
        `${path}.refreshAhead: ${describe(share)} is not a fraction between 0 and 1`,
      );
    }
    Object.assign(parsed, { refreshAhead: share });
  }
  if (raw.lock === undefined || raw.lock === false) return parsed;
  const lock = raw.lock === true ? {} : expectObject(raw.lock, `${path}.lock`);
  expectKnownKeys(lock, LOCK_KEYS, `${path}.lock`);
  const ttl = parseLockTtl(lock.ttl ?? CACHE_DEFAULTS.lock.ttl, `${path}.lock.ttl`);
  // The default wait is cut to a shorter lock's ttl; a wait given is checked against it.
  const wait =
    lock.wait === undefined
      ? Math.min(parseDuration(CACHE_DEFAULTS.lock.wait, 'lock.wait'), ttl)
      : parseLockWait(lock.wait, ttl, `${path}.lock`);
  return { ...parsed, lock: { ttl, wait } };
}

/**
 * How long a load lock lives, in whole milliseconds (Redis takes no fraction; one is rounded up).
 * A lock must expire: one whose holder died would keep every other instance waiting forever.
 */
function parseLockTtl(value: unknown, path: string): number {
  const ttl = parseTtl(value, path);
  if (ttl === Infinity) {
    throw new InvalidOptionError(
      `${path}: a lock must expire (one whose holder died would be held forever)`,
      'give the longest a load may take, e.g. "30s"',
    );
  }
  return Math.ceil(ttl);
}

/**
 * How long a load waits for another instance's lock: bounded, since a holder may die; at most
 * `lock.maxWait` (a caller is held all that time) and at most the lock's `ttl` (by then the lock
 * is gone, its holder presumed dead, and the wait would be for no one). `path` names the lock.
 */
function parseLockWait(value: unknown, ttl: number, path: string): number {
  const wait = parseDuration(value, `${path}.wait`);
  if (!Number.isFinite(wait)) {
    throw new InvalidOptionError(
      `${path}.wait: a wait for a lock must end (its holder may die and never store a value)`,
      'give the longest a load may wait for another instance, e.g. "5s"',
    );
  }
  const maxWait = CACHE_DEFAULTS.lock.maxWait;
  if (wait > parseDuration(maxWait, 'lock.maxWait')) {
    throw new InvalidOptionError(
      `${path}.wait: ${describe(value)} is longer than the longest wait for a lock (${maxWait})`,
      'a caller waits all that time for another instance; give the longest a load may take, e.g. "5s"',
    );
  }
  if (wait > ttl) {
    throw new InvalidOptionError(
      `${path}.wait: ${describe(value)} is longer than ${path}.ttl (${ttl} ms)`,
      `the lock is gone after its ttl: shorten the wait, or raise ${path}.ttl to the longest a load may take`,
    );
  }
  return wait;
}

function parseOptions(raw: object, known: readonly string[], path: string): ParsedSetOptions {
  const options = expectObject(raw, path);
  expectKnownKeys(options, known, path);
  const parsed: { -readonly [K in keyof ParsedSetOptions]: ParsedSetOptions[K] } = {};
  if (options.ttl !== undefined) parsed.ttl = parseTtl(options.ttl, `${path}.ttl`);
  if (options.tags !== undefined) {
    parsed.tags = expectStringList(options.tags, `${path}.tags`);
    // Tags and indexes are stored by every tier, so they obey the text rules of keys.
    parsed.tags.forEach((tag, i) => expectKeyText(tag, `${path}.tags[${i}]`));
  }
  if (options.indexes !== undefined) {
    parsed.indexes = parseIndexes(options.indexes, `${path}.indexes`);
  }
  if (options.persistence !== undefined) {
    parsed.persistence = expectOneOf(
      options.persistence,
      PERSISTENCE_LEVELS,
      `${path}.persistence`,
    );
  }
  return parsed;
}

function parseIndexes(raw: unknown, path: string): Record<string, string> {
  const indexes = expectObject(raw, path);
  const parsed: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(indexes)) {
    if (name.length === 0) throw new InvalidOptionError(`${path}: index names must be non-empty`);
    expectKeyText(name, `${path}: the index name ${JSON.stringify(name.slice(0, 40))}`);
    if (typeof value !== 'string') {
      throw new InvalidOptionError(`${path}.${name}: ${describe(value)} is not a string`);
    }
    expectKeyText(value, `${path}.${name}`);
    parsed[name] = value;
  }
  return parsed;
}
