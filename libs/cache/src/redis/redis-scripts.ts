/**
 * Lua scripts of the Redis tier. Every key of a namespace shares the hash tag `{prefix:ns}`, so
 * one script may touch the value and its tag and index sets on a Redis Cluster too.
 *
 * An entry is stored as one string, `<expiresAt>\n<meta JSON>\n<value JSON>` (`expiresAt` empty
 * when it never expires), so scripts can rewrite the expiry or a counter without decoding or
 * re-encoding JSON. `meta.r` lists the sets (`t:<tag>`, `i:<index>`) the key belongs to.
 */

const HELPERS = `
-- Nil for text that is not an entry (written by someone else, or corrupt).
local function split(entry)
  local a = string.find(entry, '\\n', 1, true)
  if not a then return nil end
  local b = string.find(entry, '\\n', a + 1, true)
  if not b then return nil end
  return string.sub(entry, 1, a - 1), string.sub(entry, a + 1, b - 1), string.sub(entry, b + 1)
end

local function refs_of(meta)
  local ok, decoded = pcall(cjson.decode, meta)
  if ok and type(decoded) == 'table' and type(decoded.r) == 'table' then return decoded.r end
  return {}
end

local function unlink_refs(base, key, refs)
  for _, ref in ipairs(refs) do redis.call('SREM', base .. ':' .. ref, key) end
end

-- A reference set lives at least as long as its longest-lived member.
local function link_refs(base, key, refs, ttl)
  for _, ref in ipairs(refs) do
    local set = base .. ':' .. ref
    local current = redis.call('PTTL', set)
    redis.call('SADD', set, key)
    if ttl < 0 then
      if current >= 0 then redis.call('PERSIST', set) end
    elseif current == -2 or (current >= 0 and current < ttl) then
      redis.call('PEXPIRE', set, ttl)
    end
  end
end

local function has_ref(refs, ref)
  for _, each in ipairs(refs) do if each == ref then return true end end
  return false
end

-- Set members can outlive their entry (expiry, or a plain SET of an untagged value): a member
-- counts only while its current entry still lists the set.
local function current_member(base, key, ref)
  local current = redis.call('GET', base .. ':v:' .. key)
  if not current then return false end
  local expires, meta = split(current)
  return expires ~= nil and has_ref(refs_of(meta), ref)
end

local function forget(base, key, vkey)
  local current = redis.call('GET', vkey)
  if not current then return false end
  local expires, meta = split(current)
  if expires ~= nil then unlink_refs(base, key, refs_of(meta)) end
  redis.call('UNLINK', vkey)
  return true
end

local function store(base, key, vkey, entry, ttl, refs)
  forget(base, key, vkey)
  if ttl < 0 then redis.call('SET', vkey, entry) else redis.call('SET', vkey, entry, 'PX', ttl) end
  link_refs(base, key, refs, ttl)
end

-- The TTL end and grace end of an expiry line ("", "<expiresAt>" or "<expiresAt>,<graceUntil>").
local function expiry_of(line)
  local at, grace = string.match(line, '^([^,]*),?(.*)$')
  return tonumber(at), tonumber(grace)
end

-- Past its TTL (maybe within grace): absent for everything but getOrSet's grace fallback.
local function stale(line, now)
  local at = expiry_of(line)
  return at ~= nil and at <= now
end

local function format_number(n)
  if n == math.floor(n) and math.abs(n) < 9007199254740992 then return string.format('%d', n) end
  return string.format('%.17g', n)
end
`;

/**
 * How long a load may run and still store its value: longer ones return it without storing, since
 * the delete marks that would stop them from undoing a delete are gone by then.
 */
export const LOAD_WINDOW_MS = 300_000;
/** How long a delete mark stays: beyond any load allowed to store. */
const DELETE_MARK_MS = 2 * LOAD_WINDOW_MS;

/** A script and the number of KEYS it takes. */
export interface RedisScript {
  readonly numberOfKeys: number;
  readonly lua: string;
}

const script = (body: string): RedisScript => ({ numberOfKeys: 1, lua: HELPERS + body });

/** KEYS[1] value key; ARGV base, key, entry, ttl (-1 = none), refs JSON. */
export const SET_SCRIPT = script(`
store(ARGV[1], ARGV[2], KEYS[1], ARGV[3], tonumber(ARGV[4]), cjson.decode(ARGV[5]))
return 1
`);

/** As SET, only when the key holds no fresh entry (ARGV[6] now); 1 when stored. */
export const SET_IF_ABSENT_SCRIPT = script(`
local current = redis.call('GET', KEYS[1])
if current then
  local expires = split(current)
  if expires == nil or not stale(expires, tonumber(ARGV[6])) then return 0 end
end
store(ARGV[1], ARGV[2], KEYS[1], ARGV[3], tonumber(ARGV[4]), cjson.decode(ARGV[5]))
return 1
`);

/** Compare-and-set keeping TTL and metadata: ARGV expected, replacement. 1 set, 0 changed, -1 gone. */
export const COMPARE_AND_SET_SCRIPT = script(`
local current = redis.call('GET', KEYS[1])
if not current then return -1 end
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1
`);

/**
 * ARGV base, key, by, head of a new entry ("<expiresAt>\\n<meta>\\n"), ttl, refs JSON, now.
 * Returns the new number as text. A stale entry (past its TTL) counts from 0 again.
 */
export const INCREMENT_SCRIPT = script(`
local by = tonumber(ARGV[3])
local current = redis.call('GET', KEYS[1])
if current then
  local expires = split(current)
  if expires ~= nil and stale(expires, tonumber(ARGV[7])) then current = nil end
end
if not current then
  local text = format_number(by)
  store(ARGV[1], ARGV[2], KEYS[1], ARGV[4] .. text, tonumber(ARGV[5]), cjson.decode(ARGV[6]))
  return text
end
local expires, meta, value = split(current)
if expires == nil then return redis.error_reply('E_CACHE_WRONG_TYPE its value is not a number') end
local n = tonumber(value)
if n == nil then return redis.error_reply('E_CACHE_WRONG_TYPE its value is not a number') end
n = n + by
if n ~= n or n == math.huge or n == -math.huge then
  return redis.error_reply('E_CACHE_WRONG_TYPE the result is not a finite number')
end
local text = format_number(n)
redis.call('SET', KEYS[1], expires .. '\\n' .. meta .. '\\n' .. text, 'KEEPTTL')
return text
`);

/**
 * ARGV base, key, new expiresAt ('' = never), now. 1 when the key holds a fresh entry. A grace
 * period keeps its length after the new expiry.
 */
export const EXPIRE_SCRIPT = script(`
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local expires, meta, value = split(current)
if expires == nil then
  redis.call('UNLINK', KEYS[1])
  return 0
end
local now = tonumber(ARGV[4])
if stale(expires, now) then return 0 end
local line, ends = ARGV[3], tonumber(ARGV[3])
local at, grace = expiry_of(expires)
if ends ~= nil and grace ~= nil then
  ends = ends + (grace - at)
  line = line .. ',' .. format_number(ends)
end
local ttl = -1
if ends ~= nil then ttl = math.max(1, math.ceil(ends - now)) end
local entry = line .. '\\n' .. meta .. '\\n' .. value
if ttl < 0 then redis.call('SET', KEYS[1], entry) else redis.call('SET', KEYS[1], entry, 'PX', ttl) end
link_refs(ARGV[1], ARGV[2], refs_of(meta), ttl)
return 1
`);

/**
 * KEYS[1] any key of the namespace (routing); ARGV base, keys... Returns the keys that existed.
 * Each key, held or not, gets a delete mark (see `SET_UNLESS_CHANGED_SCRIPT`).
 */
export const DELETE_SCRIPT = script(`
local deleted = {}
local n = redis.call('INCR', ARGV[1] .. ':n')
for i = 2, #ARGV do
  if forget(ARGV[1], ARGV[i], ARGV[1] .. ':v:' .. ARGV[i]) then table.insert(deleted, ARGV[i]) end
  redis.call('SET', ARGV[1] .. ':w:' .. ARGV[i], n, 'PX', ${DELETE_MARK_MS})
end
return deleted
`);

/** KEYS[1] any key of the namespace; ARGV base. Loads started before now store nothing. */
export const MARK_EPOCH_SCRIPT = script(`
redis.call('SET', ARGV[1] .. ':e', redis.call('INCR', ARGV[1] .. ':n'))
return 1
`);

/**
 * A load's store. KEYS[1] value key; ARGV base, key, entry, ttl, refs JSON, the write counter
 * read when the load started, the SHA-1 of the text it read then ('' for none). Stores only if
 * nothing happened to the key since: no delete mark or namespace epoch (tag, pattern, clear)
 * newer than that counter, and the same text (no write, update, increment or expiry change).
 * 1 when stored.
 */
export const SET_UNLESS_CHANGED_SCRIPT = script(`
local seen = tonumber(ARGV[6])
local epoch = tonumber(redis.call('GET', ARGV[1] .. ':e') or '0') or 0
local mark = tonumber(redis.call('GET', ARGV[1] .. ':w:' .. ARGV[2]) or '0') or 0
if epoch > seen or mark > seen then return 0 end
local current = redis.call('GET', KEYS[1])
local digest = ''
if current then digest = redis.sha1hex(current) end
if digest ~= ARGV[7] then return 0 end
store(ARGV[1], ARGV[2], KEYS[1], ARGV[3], tonumber(ARGV[4]), cjson.decode(ARGV[5]))
return 1
`);

/**
 * KEYS[1] any key of the namespace; ARGV base, tags... Deletes tagged entries; returns their keys.
 * Moves the namespace epoch: a load in flight may carry one of the tags.
 */
export const DELETE_BY_TAGS_SCRIPT = script(`
redis.call('SET', ARGV[1] .. ':e', redis.call('INCR', ARGV[1] .. ':n'))
local deleted = {}
for i = 2, #ARGV do
  local ref = 't:' .. ARGV[i]
  local set = ARGV[1] .. ':' .. ref
  for _, key in ipairs(redis.call('SMEMBERS', set)) do
    if current_member(ARGV[1], key, ref) and forget(ARGV[1], key, ARGV[1] .. ':v:' .. key) then
      table.insert(deleted, key)
    end
  end
  redis.call('UNLINK', set)
end
return deleted
`);

/** KEYS[1] the index set; ARGV base, ref. Live members; drops the ones that no longer belong. */
export const INDEX_MEMBERS_SCRIPT = script(`
local live = {}
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if current_member(ARGV[1], key, ARGV[2]) then
    table.insert(live, key)
  else
    redis.call('SREM', KEYS[1], key)
  end
end
return live
`);

/** KEYS[1] lock key; ARGV token. Deletes the lock only if it still holds our token. */
export const RELEASE_LOCK_SCRIPT: RedisScript = {
  numberOfKeys: 1,
  lua: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`,
};

/** Every script, by the command name it is defined under. */
export const REDIS_SCRIPTS = {
  cacheSet: SET_SCRIPT,
  cacheSetIfAbsent: SET_IF_ABSENT_SCRIPT,
  cacheCompareAndSet: COMPARE_AND_SET_SCRIPT,
  cacheIncrement: INCREMENT_SCRIPT,
  cacheExpire: EXPIRE_SCRIPT,
  cacheDelete: DELETE_SCRIPT,
  cacheDeleteByTags: DELETE_BY_TAGS_SCRIPT,
  cacheMarkEpoch: MARK_EPOCH_SCRIPT,
  cacheSetUnlessChanged: SET_UNLESS_CHANGED_SCRIPT,
  cacheIndexMembers: INDEX_MEMBERS_SCRIPT,
  cacheReleaseLock: RELEASE_LOCK_SCRIPT,
} as const;
