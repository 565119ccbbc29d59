import { z } from 'zod';

/**
 * Pure: the usage and cost report. The ledger query (src/store/usage.ts) returns histogram cells;
 * this folds them into one line per group and per group and UTC day, with percentiles from the
 * latency histogram, and renders the result as a table or CSV.
 */

export const USAGE_BY = ['team', 'caller', 'task', 'route', 'model'] as const;
export type UsageBy = (typeof USAGE_BY)[number];

/** GET /admin/usage's query string: its single source of truth. */
export const UsageQuery = z
  .object({
    by: z.enum(USAGE_BY).default('team'),
    /** A duration back from now ("7d", "12h") or an ISO date/time. */
    since: z.string().max(64).default('7d'),
  })
  .strict();

/** One histogram cell from the ledger: these requests share group, day, latency bucket and block reason. */
export interface UsageCell {
  key: string | null;
  day: string;
  latencyMs: number;
  /** The refusal code of denied rows; null for the rest. */
  block: string | null;
  requests: number;
  errors: number;
  denied: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  fallbacks: number;
  cacheHits: number;
  savedCostUsd: number;
}

export interface UsageFigures {
  requests: number;
  /** Requests that failed (status `failed`). */
  errors: number;
  /** Requests refused (status `denied`), by refusal code. */
  blocks: Record<string, number>;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  /** Over requests that were not refused (a refusal's few milliseconds would hide the providers'); null with none. */
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  fallbacks: number;
  /** Answered from a route's response cache, and what those answers would have cost fresh. */
  cacheHits: number;
  savedCostUsd: number;
}

export interface UsageGroup extends UsageFigures {
  /** The team, caller, … (`null`: rows without one, e.g. a refusal before a route was chosen). */
  key: string | null;
  days: Array<UsageFigures & { day: string }>;
}

export interface UsageReport {
  by: UsageBy;
  since: string;
  until: string;
  total: UsageFigures;
  groups: UsageGroup[];
}

/** Cells → report: groups by most requests first, days in order. */
export function usageReport(by: UsageBy, since: string, until: string, cells: readonly UsageCell[]): UsageReport {
  const byKey = new Map<string | null, UsageCell[]>();
  for (const c of cells) push(byKey, c.key, c);
  const groups = [...byKey].map(([key, own]) => {
    const byDay = new Map<string, UsageCell[]>();
    for (const c of own) push(byDay, c.day, c);
    const days = [...byDay].sort(([a], [b]) => a.localeCompare(b)).map(([day, d]) => ({ day, ...figures(d) }));
    return { key, ...figures(own), days };
  });
  groups.sort((a, b) => b.requests - a.requests || String(a.key).localeCompare(String(b.key)));
  return { by, since, until, total: figures(cells), groups };
}

export function figures(cells: readonly UsageCell[]): UsageFigures {
  const f: UsageFigures = { requests: 0, errors: 0, blocks: {}, promptTokens: 0, completionTokens: 0, costUsd: 0, p50LatencyMs: null, p95LatencyMs: null, fallbacks: 0, cacheHits: 0, savedCostUsd: 0 };
  const latencies: Array<[number, number]> = [];
  for (const c of cells) {
    f.requests += c.requests;
    f.errors += c.errors;
    f.promptTokens += c.promptTokens;
    f.completionTokens += c.completionTokens;
    f.costUsd += c.costUsd;
    f.fallbacks += c.fallbacks;
    f.cacheHits += c.cacheHits;
    f.savedCostUsd += c.savedCostUsd;
    if (c.block !== null) f.blocks[c.block] = (f.blocks[c.block] ?? 0) + c.denied;
    if (c.requests > c.denied) latencies.push([c.latencyMs, c.requests - c.denied]);
  }
  f.costUsd = Math.round(f.costUsd * 1e6) / 1e6;
  f.savedCostUsd = Math.round(f.savedCostUsd * 1e6) / 1e6;
  f.p50LatencyMs = histogramPercentile(latencies, 50);
  f.p95LatencyMs = histogramPercentile(latencies, 95);
  return f;
}

/** Nearest rank over (value, count) pairs: the smallest value with at least p% of the count at or below it. */
export function histogramPercentile(pairs: ReadonlyArray<readonly [number, number]>, p: number): number | null {
  const sorted = [...pairs].sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((n, [, c]) => n + c, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const [value, count] of sorted) {
    seen += count;
    if (seen >= rank) return value;
  }
  return sorted[sorted.length - 1]![0];
}

const COLUMNS = ['requests', 'errors', 'blocks', 'tokens_in', 'tokens_out', 'cost_usd', 'p50_ms', 'p95_ms', 'fallbacks', 'cache_hits', 'saved_usd'] as const;

function cells(f: UsageFigures): string[] {
  const blocks = Object.entries(f.blocks).sort(([a], [b]) => a.localeCompare(b)).map(([code, n]) => `${code}=${n}`).join(' ');
  const ms = (x: number | null) => (x === null ? '' : String(x));
  return [String(f.requests), String(f.errors), blocks, String(f.promptTokens), String(f.completionTokens), f.costUsd.toFixed(6), ms(f.p50LatencyMs), ms(f.p95LatencyMs), String(f.fallbacks), String(f.cacheHits), f.savedCostUsd.toFixed(6)];
}

const keyName = (key: string | null) => key ?? '(none)';

/** One row per group and day, then the group's total (day `all`): header first. */
export function usageRows(r: UsageReport): string[][] {
  const rows: string[][] = [[r.by, 'day', ...COLUMNS]];
  for (const g of r.groups) {
    for (const d of g.days) rows.push([keyName(g.key), d.day, ...cells(d)]);
    rows.push([keyName(g.key), 'all', ...cells(g)]);
  }
  return rows;
}

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
export function usageCsv(r: UsageReport): string {
  const field = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return usageRows(r).map((row) => row.map(field).join(',')).join('\n') + '\n';
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
