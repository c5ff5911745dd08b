-- One rate-limit check: GCRA as governor decides it, on the Redis server's clock,
-- so that every gateway (whatever its own clock says) agrees.
--   KEYS[1]  the bucket: its value is the theoretical arrival time (TAT), in
--            microseconds of the server's clock
--   ARGV[1]  microseconds between two requests at the sustained rate (T)
--   ARGV[2]  the burst (requests admitted at once from a full bucket)
-- Returns {admitted (1 or 0), remaining, retry after (µs), full again after (µs)}.
-- The key expires when the bucket is full again: an absent key is a full bucket.
if redis.replicate_commands then
  redis.replicate_commands()
end
local t = tonumber(ARGV[1])
local tau = t * (tonumber(ARGV[2]) - 1)
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then
  tat = now
end
if now < tat - tau then
  return {0, 0, tat - tau - now, tat - now}
end
local next = tat + t
local remaining = math.floor(math.min(now + tau + t - next, tau + t) / t)
local ttl = math.max(1, math.ceil((next - now) / 1000))
redis.call('SET', KEYS[1], string.format('%d', next), 'PX', ttl)
return {1, remaining, 0, next - now}
