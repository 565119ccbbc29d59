/**
 * One step of one try in the relay, run atomically in Redis: the commit rule of
 * src/streaming/registry.ts, decided in the one place every worker and front door shares.
 *
 * KEYS[1] the request's state hash, KEYS[2] its channel.
 * ARGV: mode (open | commit | chunk | finish), try key, attempt number, continues (1/0), sealed
 * message, TTL seconds.
 * Returns the message's sequence number when it was published and heard; 0 when this try speaks to
 * no one (another try is committed or newer, or no front door listens); -1 when the caller hung up.
 *
 * - open: the try becomes the request's current one (a try opened later wins the commit, as in-process).
 * - commit: the try's first meaningful message. It is published only if this try is current and
 *   nothing is committed, or it continues a committed try that broke (never one that finished, never
 *   the same attempt); and it commits only if a front door heard it.
 * - chunk / finish: published only while this try is the committed one; finish marks it whole.
 */
export const RELAY_STEP_LUA = `
local state, channel = KEYS[1], KEYS[2]
local mode, try, attempt, continues, message, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
if redis.call('HGET', state, 'stopped') then return -1 end
if mode == 'open' then
  redis.call('HSET', state, 'current', try)
  redis.call('EXPIRE', state, ttl)
  return 0
end
local committed = redis.call('HGET', state, 'committed')
if mode == 'commit' then
  if redis.call('HGET', state, 'current') ~= try or committed == try then return 0 end
  if committed then
    if continues ~= '1' or redis.call('HGET', state, 'finished') == '1' or redis.call('HGET', state, 'attempt') == attempt then return 0 end
  end
elseif committed ~= try then
  return 0
end
local seq = redis.call('HINCRBY', state, 'seq', 1)
local heard = redis.call('PUBLISH', channel, seq .. ':' .. message)
if mode == 'finish' then redis.call('HSET', state, 'finished', '1') end
redis.call('EXPIRE', state, ttl)
if heard == 0 then return 0 end
if mode == 'commit' then redis.call('HSET', state, 'committed', try, 'attempt', attempt, 'finished', '0') end
return seq
`;
