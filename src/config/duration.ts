const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a schema-validated duration string ("500ms", "10s", "24h"). Pure; safe in workflows. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
}

/**
 * A duration setting from the environment ("90s", "15m"), undefined when unset; a bad or too short
 * value stops the start (a typo must not surface later as a failing request).
 */
export function durationFromEnv(env: NodeJS.ProcessEnv, name: string, minMs: number, hint: string): number | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  let ms = NaN;
  try {
    ms = parseDuration(value.trim());
  } catch {
    // reported below
  }
  if (!(ms >= minMs)) throw new Error(`${name} must be a duration of ${hint}, not "${value}"`);
  return ms;
}
