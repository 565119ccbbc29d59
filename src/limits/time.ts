/** Budget periods are UTC calendar days and months, whatever the server's time zone. */

/** "2025-06-01" */
export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** "2025-06" */
export function utcMonth(now: Date): string {
  return now.toISOString().slice(0, 7);
}

export function msUntilNextUtcDay(now: Date): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return next - now.getTime();
}

export function msUntilNextUtcMonth(now: Date): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  return next - now.getTime();
}

/** The UTC month `months` before `now`'s month, as "YYYY-MM". */
export function utcMonthBefore(now: Date, months: number): string {
  return utcMonth(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - months, 1)));
}
