/**
 * Scripts that write one key's entry and keep its tag and index sets in step: set, set if absent,
 * compare-and-set, increment, expire. Each is a body of the one program the client runs
 * (`redis-scripts.ts`), so it may call the shared helpers (`redis-script-helpers.ts`).
 */

/** KEYS[1] value key; ARGV base, key, entry, ttl (-1 = none), refs JSON. */
export const SET_SCRIPT = `
store(ARGV[1], ARGV[2], KEYS[1], ARGV[3], tonumber(ARGV[4]), cjson.decode(ARGV[5]))
return 1
`;

/** As SET, only when the key holds no fresh entry (ARGV[6] now); 1 when stored. */
export const SET_IF_ABSENT_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current then
  local expires = split(current)
  if expires == nil or not stale(expires, tonumber(ARGV[6])) then return 0 end
end
store(ARGV[1], ARGV[2], KEYS[1], ARGV[3], tonumber(ARGV[4]), cjson.decode(ARGV[5]))
return 1
`;

/** Compare-and-set keeping TTL and metadata: ARGV expected, replacement. 1 set, 0 changed, -1 gone. */
export const COMPARE_AND_SET_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if not current then return -1 end
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1
`;

/**
 * ARGV base, key, by, head of a new entry ("<expiresAt>\\n<meta>\\n"), ttl, refs JSON, now.
 * Returns the new number as text. A stale entry (past its TTL) counts from 0 again.
 */
export const INCREMENT_SCRIPT = `
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
`;

/**
 * ARGV base, key, new expiresAt ('' = never), now. 1 when the key holds a fresh entry. A grace
 * period keeps its length after the new expiry.
 */
export const EXPIRE_SCRIPT = `
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
`;
