/**
 * Gatehouse against the Temporal floor (issue 18): each figure as a ratio to the floor's, measured
 * in the same run, and PASS/MISS against the ratios the issue sets.
 */
import { round } from './load';
import type { BenchResult, Cell, TargetCheck } from './report';

const cell = (r: BenchResult, lat: number, c: number, target: string) => r.cells.find((x) => x.latencyMs === lat && x.connections === c && x.target === target);

/** Overhead over calling the mock directly: p50 or p99 of `target` minus the direct one's. */
function overhead(r: BenchResult, lat: number, target: string, p: 'p50' | 'p99'): number | undefined {
  const d = cell(r, lat, 1, 'direct')?.stats;
  const t = cell(r, lat, 1, target)?.stats;
  return d && t ? t[p] - d[p] : undefined;
}

function ttfbOverhead(r: BenchResult, lat: number, target: string): number | undefined {
  const d = r.ttfb.find((t) => t.latencyMs === lat && t.target === 'direct')?.result;
  const t = r.ttfb.find((x) => x.latencyMs === lat && x.target === target)?.result;
  return d?.supported && t?.supported ? t.p50 - d.p50 : undefined;
}

/** CPU ms per answered request of one process in a cell (its average CPU% over the cell's req/s). */
function cpuPerRequest(c: Cell | undefined, process: string): number | undefined {
  const u = c?.resources?.find((x) => x.process === process);
  return u && c!.stats.rps > 0 ? (u.avgCpu * 10) / c!.stats.rps : undefined;
}

interface Ratio {
  name: string;
  latencyMs: number;
  ours?: number;
  floor?: number;
  limit: number;
  /** `max`: ours/floor must stay at or under the limit; `min`: at or over it. */
  kind: 'max' | 'min';
}

function ratios(r: BenchResult, measured: string, latencies: number[]): Ratio[] {
  const out: Ratio[] = [];
  for (const lat of latencies) {
    const g50 = cell(r, lat, 50, measured);
    const f50 = cell(r, lat, 50, 'floor');
    out.push(
      { name: 'c=1 overhead p50', latencyMs: lat, ours: overhead(r, lat, measured, 'p50'), floor: overhead(r, lat, 'floor', 'p50'), limit: 1.15, kind: 'max' },
      { name: 'c=1 overhead p99', latencyMs: lat, ours: overhead(r, lat, measured, 'p99'), floor: overhead(r, lat, 'floor', 'p99'), limit: 1.3, kind: 'max' },
      { name: 'streaming TTFB overhead p50', latencyMs: lat, ours: ttfbOverhead(r, lat, measured), floor: ttfbOverhead(r, lat, 'floor'), limit: 1.15, kind: 'max' },
      { name: 'c=50 req/s', latencyMs: lat, ours: g50?.stats.rps, floor: f50?.stats.rps, limit: 0.9, kind: 'min' },
      { name: 'c=50 worker CPU ms/req', latencyMs: lat, ours: cpuPerRequest(g50, 'gateway'), floor: cpuPerRequest(f50, 'floor'), limit: 1.25, kind: 'max' },
      { name: 'c=50 dev-server CPU ms/req', latencyMs: lat, ours: cpuPerRequest(g50, 'temporal'), floor: cpuPerRequest(f50, 'floor temporal'), limit: 1.1, kind: 'max' },
    );
  }
  return out;
}

const ratioOf = (x: Ratio) => (x.ours !== undefined && x.floor !== undefined && x.floor > 0 ? x.ours / x.floor : undefined);

/** The side-by-side table: ours, the floor's, the ratio and the limit. */
export function floorTable(r: BenchResult, measured: string, latencies: number[]): string {
  if (!r.cells.some((c) => c.target === 'floor')) return 'Temporal floor: not measured (--no-floor, or a peer is measured)';
  const fmt = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(n >= 100 ? 0 : 1));
  const rows = ratios(r, measured, latencies).map((x) => {
    const q = ratioOf(x);
    return [`${x.latencyMs} ms`, x.name, fmt(x.ours), fmt(x.floor), q === undefined ? '-' : q.toFixed(2), `${x.kind === 'max' ? '<=' : '>='} ${x.limit}`];
  });
  const head = ['upstream', 'figure', measured, 'floor', 'ratio', 'target'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return ['Against the Temporal floor (same run; overheads are over calling the mock directly)', line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** PASS/MISS for each ratio (n/a when either side was not measured, e.g. a 0 ms floor overhead). */
export function floorTargets(r: BenchResult, measured: string, latencies: number[]): TargetCheck[] {
  if (!r.cells.some((c) => c.target === 'floor')) return [];
  return ratios(r, measured, latencies).map((x) => {
    const q = ratioOf(x);
    const ok = q !== undefined && (x.kind === 'max' ? q <= x.limit : q >= x.limit);
    return { name: `${x.name} ${x.kind === 'max' ? '<=' : '>='} ${x.limit} x floor`, latencyMs: x.latencyMs, value: q === undefined ? 'n/a' : round(q), status: q === undefined ? 'n/a' : ok ? 'PASS' : 'MISS' };
  });
}
