/**
 * Server-side Lua, so that routing a message is one atomic round trip. The key layout is the
 * documented contract (docs/drivers/redis.md): lane streams are `<ns>:lane:<lane subject>`, a
 * wildcard lane keeps its `>` (`freeswitch:lane:freeswitch.cmd.async.>`).
 */

/**
 * ROUTE — ARGV: namespace, subject, data, reply_to, correlation_id, headers (JSON or ''), maxlen.
 * XADDs the message to every lane stream that serves the subject (exact, then each `a.b.>`
 * above it), then PUBLISHes the data on the subject. Returns { lanes written, subscribers }.
 */
export const ROUTE_SCRIPT = `
local base = ARGV[1] .. ':lane:'
local s = ARGV[2]
local n = 0
local function add(key)
  redis.call('XADD', key, 'MAXLEN', '~', ARGV[7], '*', 'subject', s, 'data', ARGV[3], 'reply_to', ARGV[4], 'correlation_id', ARGV[5], 'headers', ARGV[6])
  n = n + 1
end
if redis.call('EXISTS', base .. s) == 1 then add(base .. s) end
local pos = 0
while true do
  local i = string.find(s, '.', pos + 1, true)
  if not i then break end
  local key = base .. string.sub(s, 1, i) .. '>'
  if redis.call('EXISTS', key) == 1 then add(key) end
  pos = i
end
local subs = redis.call('PUBLISH', s, ARGV[3])
return {n, subs}
`;

/** REPLY — KEYS[1] reply stream; ARGV: correlation_id, data, ttl ms, maxlen. */
export const REPLY_SCRIPT = `
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'correlation_id', ARGV[1], 'data', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

/**
 * LEAVE — KEYS[1] lane stream; ARGV: group, consumer, 'group'|'consumer'. Removes this server's
 * consumer (competing lane) or its own group (fan-out lane); deletes the stream when nobody is
 * left, so a request to a lane nobody serves is answered "no responders" at once.
 */
export const LEAVE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local ok = pcall(function()
  if ARGV[3] == 'group' then
    redis.call('XGROUP', 'DESTROY', KEYS[1], ARGV[1])
  else
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
  end
end)
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
for _, g in ipairs(groups) do
  for j = 1, #g, 2 do
    if g[j] == 'consumers' and tonumber(g[j + 1]) > 0 then return 1 end
  end
end
redis.call('DEL', KEYS[1])
return 2
`;
