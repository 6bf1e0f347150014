import { programOf, type RedisScript } from './redis-script-helpers';
import {
  DELETE_BY_TAGS_SCRIPT,
  DELETE_SCRIPT,
  MARK_EPOCH_SCRIPT,
  PRUNE_SETS_SCRIPT,
  SET_UNLESS_CHANGED_SCRIPT,
  UNLINK_VALUES_SCRIPT,
} from './redis-removal-scripts';
import {
  COMPARE_AND_SET_SCRIPT,
  EXPIRE_SCRIPT,
  INCREMENT_SCRIPT,
  SET_IF_ABSENT_SCRIPT,
  SET_SCRIPT,
} from './redis-write-scripts';

/**
 * Lua scripts of the Redis tier, run as one program defined on its client (`defineScripts`): the
 * writes of one entry (`redis-write-scripts.ts`), the removals and the marks loads check
 * (`redis-removal-scripts.ts`), and here the reads of an index set and the release of a lock.
 * The Lua they share, and how an entry is stored, is in `redis-script-helpers.ts`.
 */

/**
 * KEYS[1] the index set; ARGV base, ref, now. Fresh members; drops the ones that no longer
 * belong. A member past its TTL (within grace) still belongs, but is absent.
 */
export const INDEX_MEMBERS_SCRIPT = `
local fresh = {}
local now = tonumber(ARGV[3])
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local expires = current_member(ARGV[1], key, ARGV[2])
  if not expires then
    redis.call('SREM', KEYS[1], key)
  elseif not stale(expires, now) then
    table.insert(fresh, key)
  end
end
return fresh
`;

/** KEYS[1] lock key; ARGV token. Deletes the lock only if it still holds our token. */
export const RELEASE_LOCK_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Every script, by the name of the client method that runs it. */
export const REDIS_SCRIPTS = {
  cacheSet: SET_SCRIPT,
  cacheSetIfAbsent: SET_IF_ABSENT_SCRIPT,
  cacheCompareAndSet: COMPARE_AND_SET_SCRIPT,
  cacheIncrement: INCREMENT_SCRIPT,
  cacheExpire: EXPIRE_SCRIPT,
  cacheDelete: DELETE_SCRIPT,
  cacheDeleteByTags: DELETE_BY_TAGS_SCRIPT,
  cacheMarkEpoch: MARK_EPOCH_SCRIPT,
  cacheUnlinkValues: UNLINK_VALUES_SCRIPT,
  cachePruneSets: PRUNE_SETS_SCRIPT,
  cacheSetUnlessChanged: SET_UNLESS_CHANGED_SCRIPT,
  cacheIndexMembers: INDEX_MEMBERS_SCRIPT,
  cacheReleaseLock: RELEASE_LOCK_SCRIPT,
} as const;

/** The name of the one command the scripts are run by (see `programOf`). */
export const SCRIPT_COMMAND = 'nestTieredCacheScript';

/** Every script, as one program. */
export const SCRIPT_PROGRAM: RedisScript = programOf(REDIS_SCRIPTS);
