#include "inflow/last_value_script.h"

#include "inflow/sha1.h"

namespace inflow {
namespace {

// Every time is checked before anything is written, so that a bad argument
// changes nothing. cmp mirrors CompareTimeText; it compares byte by byte
// because Lua's `<` on strings uses strcoll, which Redis sets from the
// locale.
constexpr std::string_view kScript = R"lua(-- inflow last-value cache
local function valid(t)
  return t == '0' or string.find(t, '^%-?[1-9]%d*$') ~= nil
end
local function cmp(a, b)
  local an, bn = a:byte(1) == 45, b:byte(1) == 45
  if an ~= bn then return an and -1 or 1 end
  local s = an and -1 or 1
  if #a ~= #b then return (#a < #b) and -s or s end
  for i = 1, #a do
    local x, y = a:byte(i), b:byte(i)
    if x ~= y then return (x < y) and -s or s end
  end
  return 0
end
local function entry_time(e)
  return string.match(e, '^{"time":(%-?%d+)[,}]')
end
local series, recent, catalog = KEYS[1], KEYS[2], KEYS[3]
local ttl, keep = tonumber(ARGV[1]), tonumber(ARGV[2])
local n = tonumber(ARGV[8])
if not ttl or not keep or not n or keep < 1 or #ARGV < 8 + 3 * n or #KEYS < 4 then
  return redis.error_reply('ERR inflow: bad arguments')
end
if not valid(ARGV[6]) then return redis.error_reply('ERR inflow: bad time ' .. ARGV[6]) end
local first_recent = 9 + 3 * n
local names = {}
for i = 0, n - 1 do
  local t = ARGV[11 + 3 * i]
  if not valid(t) then return redis.error_reply('ERR inflow: bad time ' .. t) end
  names[i + 1] = 't:' .. ARGV[9 + 3 * i]
end
for j = first_recent, #ARGV do
  local t = entry_time(ARGV[j])
  if not t or not valid(t) then return redis.error_reply('ERR inflow: bad recent point') end
end
local set = {'measurement', ARGV[4], 'tags', ARGV[5]}
local replaced = 0
if n > 0 then
  local old = redis.call('HMGET', series, unpack(names))
  for i = 0, n - 1 do
    local t = ARGV[11 + 3 * i]
    if not old[i + 1] or cmp(t, old[i + 1]) >= 0 then
      local name = ARGV[9 + 3 * i]
      table.insert(set, 'v:' .. name)
      table.insert(set, ARGV[10 + 3 * i])
      table.insert(set, 't:' .. name)
      table.insert(set, t)
      replaced = replaced + 1
    end
  end
end
local moved = 0
local old_time = redis.call('HGET', series, 'time')
if not old_time or cmp(ARGV[6], old_time) >= 0 then
  table.insert(set, 'time')
  table.insert(set, ARGV[6])
  moved = 1
end
redis.call('HSET', series, unpack(set))
redis.call('SADD', catalog, ARGV[7])
local keys = {series}
for k = 4, #KEYS do
  redis.call('SADD', KEYS[k], ARGV[3])
  table.insert(keys, KEYS[k])
end
if keep > 1 then
  table.insert(keys, recent)
  local list = redis.call('LRANGE', recent, 0, keep - 1)
  local times = {}
  for i, e in ipairs(list) do times[i] = entry_time(e) end
  local changed = false
  for j = first_recent, #ARGV do
    local e = ARGV[j]
    local t = entry_time(e)
    local pos = #list + 1
    for i = 1, #list do
      if cmp(t, times[i]) >= 0 then pos = i break end
    end
    if pos <= #list and cmp(t, times[pos]) == 0 then
      if list[pos] ~= e then list[pos] = e changed = true end
    elseif pos <= keep then
      table.insert(list, pos, e)
      table.insert(times, pos, t)
      changed = true
      if #list > keep then table.remove(list) table.remove(times) end
    end
  end
  if changed then
    redis.call('DEL', recent)
    redis.call('RPUSH', recent, unpack(list))
  else
    redis.call('LTRIM', recent, 0, keep - 1)
  end
end
for _, k in ipairs(keys) do
  if ttl > 0 then redis.call('EXPIRE', k, ARGV[1]) else redis.call('PERSIST', k) end
end
return {replaced, moved}
)lua";

}  // namespace

std::string_view LastValueScript() { return kScript; }

const std::string& LastValueScriptSha1() {
  static const std::string sha = Sha1Hex(kScript);
  return sha;
}

}  // namespace inflow
