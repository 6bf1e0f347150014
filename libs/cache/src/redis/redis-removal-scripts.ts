import { DELETE_MARK_MS } from '../tiers/load-window';

/** How much of a value `UNLINK_VALUES_SCRIPT` reads first: more than any expiry line. */
const EXPIRY_HEAD = 64;

/**
 * Scripts that remove entries, and the marks they leave so that loads in flight do not put a
 * removed value back: each deleted key gets a delete mark, a tag, pattern or clear removal moves
 * the namespace epoch, and a load's store (`SET_UNLESS_CHANGED_SCRIPT`) checks both against the
 * write counter it read when it began.
 */

/**
 * KEYS[1] any key of the namespace (routing); ARGV base, now, keys... Returns the keys that
 * existed as two lists, held and stale (past their TTL at now, see `RemovedKeys`). Each key,
 * held or not, gets a delete mark (see `SET_UNLESS_CHANGED_SCRIPT`).
 */
export const DELETE_SCRIPT = `
local removed = {{}, {}}
local now = tonumber(ARGV[2])
local n = next_count(ARGV[1])
for i = 3, #ARGV do
  local existed, expires = forget(ARGV[1], ARGV[i], ARGV[1] .. ':v:' .. ARGV[i])
  if existed then file_removed(removed, ARGV[i], expires, now) end
  redis.call('SET', ARGV[1] .. ':w:' .. ARGV[i], n, 'PX', ${DELETE_MARK_MS})
end
return removed
`;

/**
 * KEYS[1] any key of the namespace (routing); ARGV now, value keys... Unlinks the value keys;
 * returns how many held a fresh entry: one past its TTL at now (kept for its grace period) is
 * not counted, nor text that is not an entry, nor a key of another type. A value is never read
 * whole, only up to the end of its meta line: a value may be megabytes, and a clear reads every
 * key of the namespace inside the script, while Redis answers no one else.
 */
export const UNLINK_VALUES_SCRIPT = `
-- The expiry line of the entry at key, or nil for none (see split): an expiry line is two
-- numbers at most, so it ends within the first ${EXPIRY_HEAD} bytes; the meta line after it
-- is read in growing pieces up to its end.
local function expiry_line(key)
  local head = redis.pcall('GETRANGE', key, 0, ${EXPIRY_HEAD - 1})
  if type(head) ~= 'string' then return nil end
  local a = string.find(head, '\\n', 1, true)
  if not a then return nil end
  if string.find(head, '\\n', a + 1, true) then return string.sub(head, 1, a - 1) end
  if #head < ${EXPIRY_HEAD} then return nil end
  local from, size = ${EXPIRY_HEAD}, 256
  while true do
    local piece = redis.call('GETRANGE', key, from, from + size - 1)
    if string.find(piece, '\\n', 1, true) then return string.sub(head, 1, a - 1) end
    if #piece < size then return nil end
    from, size = from + size, size * 2
  end
end

local now = tonumber(ARGV[1])
local fresh = 0
for i = 2, #ARGV do
  local expires = expiry_line(ARGV[i])
  if expires ~= nil and not stale(expires, now) then fresh = fresh + 1 end
  redis.call('UNLINK', ARGV[i])
end
return fresh
`;

/**
 * KEYS[1] any key of the namespace (routing); ARGV base, keys... The second step of a clear, once
 * its values are unlinked: of each tag or index set, drops the members whose entry no longer
 * lists it (an empty set is gone); unlinks a key of another type. An entry written while the
 * clear ran keeps its sets, so tags and indexes still find it.
 */
export const PRUNE_SETS_SCRIPT = `
local base = ARGV[1]
for i = 2, #ARGV do
  local set = ARGV[i]
  if redis.call('TYPE', set).ok == 'set' then
    local ref = string.sub(set, #base + 2)
    for _, key in ipairs(redis.call('SMEMBERS', set)) do
      if not current_member(base, key, ref) then redis.call('SREM', set, key) end
    end
  else
    redis.call('UNLINK', set)
  end
end
return 1
`;

/** KEYS[1] any key of the namespace; ARGV base. Loads started before now store nothing. */
export const MARK_EPOCH_SCRIPT = `
redis.call('SET', ARGV[1] .. ':e', next_count(ARGV[1]))
return 1
`;

/**
 * A load's store. KEYS[1] value key; ARGV base, key, entry, ttl, refs JSON, the write counter
 * read when the load started, the SHA-1 of the text it read then ('' for none). Stores only if
 * nothing happened to the key since: no delete mark or namespace epoch (tag, pattern, clear)
 * newer than that counter, and the same text (no write, update, increment or expiry change).
 * 1 when stored.
 */
export const SET_UNLESS_CHANGED_SCRIPT = `
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
`;

/**
 * KEYS[1] any key of the namespace; ARGV base, now, tags... Deletes tagged entries; returns their
 * keys as `DELETE_SCRIPT` does. Moves the namespace epoch: a load in flight may carry a tag.
 */
export const DELETE_BY_TAGS_SCRIPT = `
redis.call('SET', ARGV[1] .. ':e', next_count(ARGV[1]))
local removed = {{}, {}}
local now = tonumber(ARGV[2])
for i = 3, #ARGV do
  local ref = 't:' .. ARGV[i]
  local set = ARGV[1] .. ':' .. ref
  for _, key in ipairs(redis.call('SMEMBERS', set)) do
    local expires = current_member(ARGV[1], key, ref)
    if expires and forget(ARGV[1], key, ARGV[1] .. ':v:' .. key) then
      file_removed(removed, key, expires, now)
    end
  end
  redis.call('UNLINK', set)
end
return removed
`;
