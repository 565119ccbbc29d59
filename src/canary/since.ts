import { parseDuration } from '../config/duration';

const DURATION = /^\d+(\.\d+)?\s*(ms|s|m|h|d)$/;

/** Pure: `--since` as an ISO time: a duration back from `now` ("1h", "7d") or an ISO date/time. Undefined when neither. */
export function sinceTime(since: string, now: number): string | undefined {
  if (DURATION.test(since)) return new Date(now - parseDuration(since)).toISOString();
  const t = Date.parse(since);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}
