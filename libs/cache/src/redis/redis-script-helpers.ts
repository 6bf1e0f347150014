/**
 * The Lua every script of the Redis tier shares. Every key of a namespace shares the hash tag
 * `{prefix:ns}`, so one script may touch the value and its tag and index sets on a Redis Cluster
 * too.
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
-- counts only while its current entry still lists the set. Its expiry line when it does.
local function current_member(base, key, ref)
  local current = redis.call('GET', base .. ':v:' .. key)
  if not current then return false end
  local expires, meta = split(current)
  if expires == nil or not has_ref(refs_of(meta), ref) then return false end
  return expires
end

-- Deletes the entry at vkey and its set memberships: false when there was none, else true and
-- its expiry line (nil for text that is not an entry).
local function forget(base, key, vkey)
  local current = redis.call('GET', vkey)
  if not current then return false end
  local expires, meta = split(current)
  if expires ~= nil then unlink_refs(base, key, refs_of(meta)) end
  redis.call('UNLINK', vkey)
  return true, expires
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

-- Files a key a removal deleted in removed[1] (held) or, past its TTL at now, removed[2] (stale).
local function file_removed(removed, key, expires, now)
  if expires ~= nil and stale(expires, now) then
    table.insert(removed[2], key)
  else
    table.insert(removed[1], key)
  end
end

local function format_number(n)
  if n == math.floor(n) and math.abs(n) < 9007199254740992 then return string.format('%d', n) end
  return string.format('%.17g', n)
end

-- Moves the namespace's write counter (delete marks and the epoch take its number). A counter
-- that is missing (Redis restarted empty, a replica promoted, the key evicted) starts from the
-- server's clock in microseconds, past any number an earlier counter reached, so a load's ticket
-- from before never outranks a removal made after.
local function next_count(base)
  local key = base .. ':n'
  if redis.call('EXISTS', key) == 0 then
    local time = redis.call('TIME')
    redis.call('SET', key, format_number(tonumber(time[1]) * 1000000 + tonumber(time[2])))
  end
  return redis.call('INCR', key)
end
`;

/** A script and the number of KEYS it takes. */
export interface RedisScript {
  readonly numberOfKeys: number;
  readonly lua: string;
}

/**
 * One program of every script in `bodies` (each a script of one KEY that may call the helpers),
 * run as the body named by its first ARGV with the ARGV after it. One program rather than one
 * script each: ioredis copies every script defined on a client onto each pipeline it builds, and
 * it builds one per batch of auto-pipelined commands (one per command for a caller awaiting each
 * in turn), so each defined script cost every command a little.
 */
export function programOf(bodies: Readonly<Record<string, string>>): RedisScript {
  const branches = Object.entries(bodies).map(
    ([name, body]) => `if op == '${name}' then return (function()\n${body}\nend)() end`,
  );
  return {
    numberOfKeys: 1,
    lua: [
      HELPERS,
      'local op = table.remove(ARGV, 1)',
      ...branches,
      `return redis.error_reply('E_CACHE_SCRIPT unknown operation ' .. tostring(op))`,
      '',
    ].join('\n'),
  };
}
