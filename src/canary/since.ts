import { parseDuration } from '../config/duration';

const DURATION = /^\d+(\.\d+)?\s*(ms|s|m|h|d)$/;

/** Pure: `--since` as an ISO time: a duration back from `now` ("1h", "7d") or an ISO date/time. Undefined when neither. */
export function sinceTime(since: string, now: number): string | undefined {
  if (typeof since !== 'string') return undefined;
  return isoTime(DURATION.test(since) ? now - parseDuration(since) : Date.parse(since));
}

/** ECMAScript dates end at ±8.64e15 ms: anything beyond (or NaN) is no time at all, not a RangeError. */
function isoTime(ms: number): string | undefined {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : undefined;
}
