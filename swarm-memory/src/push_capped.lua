-- Push at the head of a list, keep the newest N entries, renew the TTL.
-- KEYS[1] list; ARGV[1] value; ARGV[2] max length; ARGV[3] TTL ms.
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
