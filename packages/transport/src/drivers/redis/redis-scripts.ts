/**
 * Server-side Lua, so that routing a message is one atomic round trip. The key layout is the
 * documented contract (docs/drivers/redis.md): lane streams are `<ns>:lane:<lane subject>`, a
 * wildcard lane keeps its `>` (`freeswitch:lane:freeswitch.cmd.async.>`).
 */

/** `clock()`: Redis's clock in epoch ms, read once per script run (TIME). */
const CLOCK = `
local now
local function clock()
  if not now then
    local t = redis.call('TIME')
    now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return now
end
`;

/**
 * Durable event streams (docs/drivers/redis.md). Entry IDs are `<ms>-<sequence>`: the ms part is
 * the broker's clock (never going back: the last ID's ms wins), the sequence part a per-stream
 * counter (INCR of `<stream key>:seq`), so IDs sort like sequences and every entry carries its
 * own stream sequence. Shared by every agent: the script is atomic, the counter is one key.
 * Retention: MAXLEN ~ (whole radix nodes) and an exact MINID (now − max age). Uses `clock()`:
 * the script that includes it includes CLOCK first.
 */
const STREAM_APPEND = `
local function append(k)
  local now = clock()
  for i = 0, k - 1 do
    local key, ckey, maxlen, maxage = ARGV[12 + 4 * i], ARGV[13 + 4 * i], ARGV[14 + 4 * i], ARGV[15 + 4 * i]
    local seq = redis.call('INCR', ckey)
    local ms = now
    -- Continue after the stream's last ID: its sequence (counter key lost) and its ms (clock stepped back).
    local function resume()
      local info = redis.call('XINFO', 'STREAM', key)
      for j = 1, #info, 2 do
        if info[j] == 'last-generated-id' then
          local lms, lseq = string.match(info[j + 1], '^(%d+)%-(%d+)$')
          if tonumber(lseq) >= seq then seq = tonumber(lseq) + 1; redis.call('SET', ckey, string.format('%.0f', seq)) end
          if tonumber(lms) > ms then ms = tonumber(lms) end
        end
      end
    end
    -- A fresh counter next to an existing stream: the counter key was lost, not the stream.
    if seq == 1 and redis.call('EXISTS', key) == 1 then resume() end
    local function add()
      local cmd = {'XADD', key}
      if maxlen ~= '' then cmd[#cmd + 1] = 'MAXLEN'; cmd[#cmd + 1] = '~'; cmd[#cmd + 1] = maxlen end
      cmd[#cmd + 1] = string.format('%.0f-%.0f', ms, seq)
      for _, v in ipairs({'subject', s, 'data', ARGV[3], 'headers', ARGV[6]}) do cmd[#cmd + 1] = v end
      return redis.call(unpack(cmd))
    end
    if not pcall(add) then
      resume()
      add()
    end
    if maxage ~= '' then redis.call('XTRIM', key, 'MINID', string.format('%.0f', now - tonumber(maxage))) end
  end
end
`;

/**
 * ROUTE — ARGV: namespace, subject, data, reply_to, correlation_id, headers (JSON or ''), maxlen,
 * expires (a request's deadline, epoch ms, or ''), once id (or ''), once until (epoch ms), then
 * optionally k and k × (stream key, sequence key, maxlen or '', max age ms or '').
 * XADDs the message to every lane stream that serves the subject (exact, then each `a.b.>`
 * above it), PUBLISHes the data on the subject, then appends it to the k durable event streams
 * (see STREAM_APPEND). Returns { lanes written, subscribers, stream error or '' }.
 *
 * What runs on arrival (a request, a fire-and-forget command, a hand-off: a once id given) is
 * routed once: ioredis sends a command again after a reconnect when its answer never came, and the
 * first copy may have run already. The key `<ns>:routed:<once id>:<subject>` marks it until
 * "once until" (a hand-off to another subject is a route of its own); a copy finding it returns
 * { -1, 0, '' } and does nothing. Events and replies have no once id: a copy goes again.
 *
 * A request (reply_to given) goes only to a lane some server still marks (MARK_SCRIPT): one whose
 * servers all crashed keeps its stream and group, and a request written there would wait out its
 * timeout where "no responders" is the answer. A lane with no marks at all is taken as served only
 * if it has a consumer group (a server that does not mark, or the marks lost with a Redis
 * restart): a stream a client's XADD made, or left behind, has none and nobody reads it. Its
 * XINFO GROUPS runs only on that rare path; every served lane has a mark.
 */
export const ROUTE_SCRIPT = `
local base = ARGV[1] .. ':lane:'
local s = ARGV[2]
local n = 0
${CLOCK}
if ARGV[9] ~= '' then
  local ttl = tonumber(ARGV[10]) - clock()
  if ttl < 1 then ttl = 1 end
  if not redis.call('SET', ARGV[1] .. ':routed:' .. ARGV[9] .. ':' .. s, '', 'NX', 'PX', string.format('%.0f', ttl)) then return {-1, 0, ''} end
end
local function served(lane)
  if ARGV[4] == '' then return true end
  local marks = ARGV[1] .. ':serving:' .. lane
  if redis.call('ZCOUNT', marks, clock(), '+inf') > 0 then return true end
  if redis.call('EXISTS', marks) == 1 then return false end
  return #redis.call('XINFO', 'GROUPS', base .. lane) > 0
end
local function add(key)
  if ARGV[8] == '' then
    redis.call('XADD', key, 'MAXLEN', '~', ARGV[7], '*', 'subject', s, 'data', ARGV[3], 'reply_to', ARGV[4], 'correlation_id', ARGV[5], 'headers', ARGV[6])
  else
    redis.call('XADD', key, 'MAXLEN', '~', ARGV[7], '*', 'subject', s, 'data', ARGV[3], 'reply_to', ARGV[4], 'correlation_id', ARGV[5], 'headers', ARGV[6], 'expires', ARGV[8])
  end
  n = n + 1
end
if redis.call('EXISTS', base .. s) == 1 and served(s) then add(base .. s) end
local pos = 0
while true do
  local i = string.find(s, '.', pos + 1, true)
  if not i then break end
  local lane = string.sub(s, 1, i) .. '>'
  if redis.call('EXISTS', base .. lane) == 1 and served(lane) then add(base .. lane) end
  pos = i
end
local subs = redis.call('PUBLISH', s, ARGV[3])
local k = tonumber(ARGV[11] or '0')
if k == 0 then return {n, subs, ''} end
${STREAM_APPEND}
-- A broken stream (wrong key type, out of memory) must not cost the live event: report, go on.
local ok, err = pcall(append, k)
if ok then return {n, subs, ''} end
return {n, subs, type(err) == 'table' and tostring(err.err) or tostring(err)}
`;

/** ROUTE's "lanes written" for a copy of a command routed before. */
export const ROUTED_BEFORE = -1;

/** REPLY — KEYS[1] reply stream; ARGV: correlation_id, data, ttl ms, maxlen. */
export const REPLY_SCRIPT = `
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'correlation_id', ARGV[1], 'data', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

/**
 * MARK — KEYS: the serving keys `<ns>:serving:<lane subject>` of the lanes this server reads;
 * ARGV: member (the server's id), ttl ms. Marks each lane served until now + ttl (Redis's clock)
 * and drops the marks that ran out: their servers are gone, and this one is there.
 */
export const MARK_SCRIPT = `${CLOCK}
for i = 1, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', '(' .. string.format('%.0f', clock()))
  redis.call('ZADD', KEYS[i], string.format('%.0f', clock() + tonumber(ARGV[2])), ARGV[1])
end
return #KEYS
`;

/**
 * LEAVE — KEYS[1] lane stream, KEYS[2] its serving key; ARGV: group, consumer, 'group'|'consumer',
 * mark member ('' while this server still reads the lane otherwise). Removes this server's
 * consumer (competing lane) or its own group (fan-out lane) and its mark; deletes the stream and
 * its marks when nobody is left (no consumer, no live mark), so a request to a lane nobody serves
 * is answered "no responders" at once. A consumer left without a live mark is a crashed server's
 * (Redis keeps it): the stream stays, and so does this server's mark, run out (score 0), for the
 * route script to see marks and none live — not "no marks, taken as served".
 * ARGV[5]: the most entries one call reads (a backlog read whole would hold Redis for its length);
 * ARGV[6]: '1' when an earlier call of this leave took this server's mark away.
 * Returns { 0 | 1 | 2 | 3, entries, marked }: entries written to the lane and not read yet (the
 * mark was live until now), read here (NOACK) for the caller to serve — from its own group on a
 * fan-out lane, and on a competing lane when no other server marks it (else that one reads them).
 * 3: a full batch read, maybe more left — nothing else done; the caller calls again with `marked`.
 */
export const LEAVE_SCRIPT = `
local removed = ARGV[4] ~= '' and redis.call('ZREM', KEYS[2], ARGV[4]) == 1
local marked = ARGV[6] == '1' or removed
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
${CLOCK}
local live = redis.call('ZCOUNT', KEYS[2], string.format('%.0f', clock()), '+inf') > 0
local unread = false
if ARGV[3] == 'group' or not live then
  local ok, r = pcall(redis.call, 'XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[5], 'NOACK', 'STREAMS', KEYS[1], '>')
  if ok and r then unread = r[1][2] end
  if unread and #unread >= tonumber(ARGV[5]) then return {3, unread, marked and 1 or 0} end
end
local ok = pcall(function()
  if ARGV[3] == 'group' then
    redis.call('XGROUP', 'DESTROY', KEYS[1], ARGV[1])
  else
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
  end
end)
-- Another server marked the lane (it may not have read it yet: its reader still connecting).
if live then return {1, unread} end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
for _, g in ipairs(groups) do
  for j = 1, #g, 2 do
    if g[j] == 'consumers' and tonumber(g[j + 1]) > 0 then
      if marked then redis.call('ZADD', KEYS[2], 0, ARGV[4]) end
      return {1, unread}
    end
  end
end
redis.call('DEL', KEYS[1], KEYS[2])
return {2, unread}
`;

/**
 * POSITION — KEYS[1] stream; ARGV: 'last' | 'seq', N. The ID to read after (XREAD is exclusive):
 * 'last' = the last ID ever given ('0-0' for no stream); 'seq' = just before the first entry whose
 * sequence is ≥ N, found by a binary search over the ms part (IDs sort like sequences).
 */
export const POSITION_SCRIPT = `
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then return '0-0' end
local function last_id()
  local info = redis.call('XINFO', 'STREAM', key)
  for j = 1, #info, 2 do if info[j] == 'last-generated-id' then return info[j + 1] end end
  return '0-0'
end
if ARGV[1] == 'last' then return last_id() end
local function parse(id)
  local a, b = string.match(id, '^(%d+)%-(%d+)$')
  return tonumber(a), tonumber(b)
end
local n = tonumber(ARGV[2])
local first = redis.call('XRANGE', key, '-', '+', 'COUNT', 1)[1]
if first == nil then return last_id() end
local fms, fseq = parse(first[1])
if fseq >= n then return '0-0' end
local last = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)[1]
local lms, lseq = parse(last[1])
if lseq < n then return last[1] end
local lo, hi = fms, lms
while lo < hi do
  local mid = math.floor((lo + hi) / 2)
  local e = redis.call('XREVRANGE', key, string.format('%.0f', mid) .. '-18446744073709551615', '-', 'COUNT', 1)[1]
  local _, seq = parse(e[1])
  if seq >= n then hi = mid else lo = mid + 1 end
end
return string.format('%.0f-%.0f', lo, n - 1)
`;

/** CLAIM's functions: `position()` and `claim(start ID)`, shared with RECLAIM. */
const CLAIM_FUNCTIONS = `
local function position()
  if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
    local name, last
    for j = 1, #g, 2 do
      if g[j] == 'name' then name = g[j + 1] elseif g[j] == 'last-delivered-id' then last = g[j + 1] end
    end
    if name == ARGV[1] then return last end
  end
  return nil
end
local function claim(start)
  local at = position()
  if at then
    local had = redis.call('HGET', KEYS[2], ARGV[1])
    if had and had ~= ARGV[3] then return {0, had} end
    if had then return {1, had, at} end
  else
    if start ~= '$' then
      local first = redis.call('XRANGE', KEYS[1], '(' .. start, '+', 'COUNT', 1)[1]
      if first == nil then start = '$'
      else
        local ms, seq = string.match(first[1], '^(%d+)%-(%d+)$')
        if tonumber(seq) >= 1 then start = ms .. '-' .. string.format('%.0f', tonumber(seq) - 1) end
      end
    end
    redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], start, 'MKSTREAM')
    at = position()
  end
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
  return {1, ARGV[3], at}
end
`;

/**
 * CLAIM — KEYS[1] stream, KEYS[2] its filters hash `<stream key>:filters` (durable → the filter it
 * was made with, '' = every subject); ARGV: group (the durable name), start ID, filter.
 * A durable name belongs to its filter: the driver filters on the client and acknowledges what
 * does not match, so a second filter under one name would skip the first one's events for good.
 * Creates the group (MKSTREAM) and records the filter; an existing group with another recorded
 * filter is refused: { 0, filter it has }. A group without a record (made before filters were
 * recorded) takes this one; a record without its group (deleted by hand) is replaced.
 * Returns { 1, filter, the group's last-delivered-id }. One script: two consumers starting at
 * once cannot both claim the name.
 * A new group is made just before the first entry after the start ID (`<ms>-<its sequence − 1>`;
 * the stream's last ID when there is none): it reads the same entries, and its position is then
 * the sequence it has read up to, so a later jump in sequence is what retention trimmed before the
 * group read it (redis-durable.ts), not what was trimmed before the group was made.
 */
export const CLAIM_SCRIPT = `${CLAIM_FUNCTIONS}
return claim(ARGV[2])
`;

/**
 * RECLAIM — CLAIM for a running durable consumer whose group is gone (NOGROUP); ARGV as CLAIM's,
 * plus ARGV[4]: the start ID when the stream is new. The group and its filter record both gone is
 * a Redis that lost its data (restarted without persistence; the record lives next to the stream
 * and goes with it; or a restart from a snapshot older than the group): the group is made at
 * ARGV[4] (after the last entry the consumer saw: what was appended after the loss sorts after it,
 * an old snapshot's entries do not) instead of the consumer's `from` ('$' would skip what the
 * agents appended before this consumer's reader came back). A group deleted by hand (XGROUP DESTROY)
 * leaves the record: made again at ARGV[2], as before.
 * Returns CLAIM's answer, its third item '' when refused, and a fourth: 1 = the stream was lost.
 */
export const RECLAIM_SCRIPT = `${CLAIM_FUNCTIONS}
local lost = position() == nil and redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0
local r = claim(lost and ARGV[4] or ARGV[2])
return {r[1], r[2], r[3] or '', lost and 1 or 0}
`;
