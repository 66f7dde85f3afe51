-- Compare-and-set with a TTL.
-- KEYS[1] key; ARGV[1] "1" when a current value is expected, "0" when the
-- key must be absent; ARGV[2] expected value; ARGV[3] new value; ARGV[4] TTL ms.
-- Returns 1 when set, 0 when the current value differed.
local current = redis.call('GET', KEYS[1])
local matches
if ARGV[1] == '0' then
  matches = (current == false)
else
  matches = (current ~= false and current == ARGV[2])
end
if matches then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
  return 1
end
return 0
