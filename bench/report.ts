/** Tables on stdout, the targets with PASS/MISS, and the JSON file with everything. */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { LedgerCheck } from './ledger';
import { round, type CellStats, type TtfbResult } from './load';
import type { ProcessUsage } from './resources';

export interface Cell {
  latencyMs: number;
  connections: number;
  target: string;
  stats: CellStats;
  resources?: ProcessUsage[];
}

export interface TtfbRow {
  latencyMs: number;
  target: string;
  result: TtfbResult;
}

export interface TargetCheck {
  name: string;
  latencyMs?: number;
  value: number | string;
  status: 'PASS' | 'MISS' | 'n/a';
}

export interface BenchResult {
  startedAt: string;
  finishedAt?: string;
  options: Record<string, unknown>;
  machine: ReturnType<typeof machineInfo>;
  mockUrl: string;
  gatewayUrl?: string;
  cells: Cell[];
  ttfb: TtfbRow[];
  ledger: LedgerCheck[];
  targets: TargetCheck[];
  /** Things that went wrong but did not stop the run (e.g. gateway warnings under load). */
  notes: string[];
}

export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGb: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAvgAtStart: os.loadavg().map((n) => round(n)),
  };
}

/** Fixed-width text table; the first `left` columns are labels (left-aligned), the rest right-aligned. */
function table(headers: string[], rows: Array<Array<string | number>>, left = 3): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i < left ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

function fmt(n: number): string {
  if (Number.isNaN(n)) return '-';
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

const find = (cells: Cell[], latencyMs: number, connections: number, target: string) =>
  cells.find((c) => c.latencyMs === latencyMs && c.connections === connections && c.target === target);

export function loadTable(r: BenchResult, measured: string): string {
  const rows: Array<Array<string | number>> = [];
  for (const c of r.cells) {
    const s = c.stats;
    rows.push([`${c.latencyMs} ms`, `c=${c.connections}`, c.target, s.p50, s.p90, s.p99, s.rps, s.total, s.non2xx, s.errors]);
    const direct = find(r.cells, c.latencyMs, c.connections, 'direct');
    if (c.target !== 'direct' && direct) {
      rows.push(['', '', `  overhead`, s.p50 - direct.stats.p50, '', s.p99 - direct.stats.p99, '', '', '', '']);
    }
  }
  const head = `Latency (ms) and throughput; overhead = ${measured} minus direct-to-mock`;
  return `${head}\n${table(['upstream', 'conc', 'target', 'p50', 'p90', 'p99', 'rps', 'requests', 'non-2xx', 'errors'], rows)}`;
}

export function resourceTable(r: BenchResult): string {
  // CPU time per answered request: what caps throughput once the cores are busy (approximate:
  // requests cut off at the cell's end cost CPU without being counted).
  const perReq = (cpu: number, rps: number) => (rps > 0 ? (cpu * 10) / rps : NaN);
  const rows = r.cells.flatMap((c) =>
    (c.resources ?? []).map((u) => [`${c.latencyMs} ms`, `c=${c.connections}`, u.process, u.avgCpu, u.maxCpu, perReq(u.avgCpu, c.stats.rps), u.maxRssMb, u.samples]),
  );
  if (rows.length === 0) return 'Resources: not sampled (a peer gateway is measured, not ours)';
  const headers = ['upstream', 'conc', 'process', 'avg cpu%', 'max cpu%', 'cpu ms/req', 'max rss MB', 'samples'];
  return `Resources during each gateway cell (CPU % of one core)\n${table(headers, rows)}`;
}

export function ttfbTable(r: BenchResult): string {
  const rows: Array<Array<string | number>> = [];
  const unsupported: string[] = [];
  for (const t of r.ttfb) {
    const x = t.result;
    if (x.supported) rows.push([`${t.latencyMs} ms`, 'c=1', t.target, x.p50, x.p90, x.p99, x.samples, x.errors]);
    else unsupported.push(`  ${t.target} streaming (${t.latencyMs} ms upstream): ${x.reason}`);
  }
  const head = table(['upstream', 'conc', 'target', 'p50', 'p90', 'p99', 'samples', 'errors'], rows);
  return ['Streaming time to first body chunk (ms)', head, ...unsupported].join('\n');
}

export function ledgerTable(r: BenchResult): string {
  if (r.ledger.length === 0) return 'Ledger: not checked (a peer gateway is measured, not ours)';
  const rows = r.ledger.map((l) => [
    l.after, l.ok2xxSeen, l.completedRows, l.lost, l.unseenCompleted, l.duplicateIds,
    l.workflows?.completed ?? 'n/a', l.workflows?.running ?? 'n/a',
  ]);
  const lines = [`Ledger and workflows (cumulative since gateway start): lost requests: ${lostRequests(r.ledger.at(-1))}`];
  const head = ['checked after', '2xx seen', 'completed rows', 'lost', 'cut off at cell end', 'dup ids', 'completed workflows', 'still running'];
  lines.push(table(head, rows, 1));
  for (const l of r.ledger) if (l.lostIds.length) lines.push(`  lost ids after ${l.after}: ${l.lostIds.join(', ')}`);
  return lines.join('\n');
}

/** The issue's targets, per upstream latency where that matters. */
export function evaluateTargets(r: BenchResult, measured: string, latencies: number[]): TargetCheck[] {
  const out: TargetCheck[] = [];
  const check = (name: string, value: number | undefined, ok: (v: number) => boolean, latencyMs?: number) =>
    out.push({ name, latencyMs, value: value === undefined ? 'n/a' : round(value), status: value === undefined ? 'n/a' : ok(value) ? 'PASS' : 'MISS' });
  for (const lat of latencies) {
    const d1 = find(r.cells, lat, 1, 'direct')?.stats;
    const g1 = find(r.cells, lat, 1, measured)?.stats;
    check('overhead c=1 p50 <= 10 ms', g1 && d1 && g1.p50 - d1.p50, (v) => v <= 10, lat);
    check('overhead c=1 p99 <= 25 ms', g1 && d1 && g1.p99 - d1.p99, (v) => v <= 25, lat);
    const g50 = find(r.cells, lat, 50, measured)?.stats;
    check('c=50 >= 250 rps', g50?.rps, (v) => v >= 250, lat);
    if (g50?.total === 0) out.push({ name: 'c=50 zero errors (errors + non-2xx)', latencyMs: lat, value: 'no answers', status: 'MISS' });
    else check('c=50 zero errors (errors + non-2xx)', g50 && g50.errors + g50.non2xx, (v) => v === 0, lat);
    const dt = r.ttfb.find((t) => t.latencyMs === lat && t.target === 'direct')?.result;
    const gt = r.ttfb.find((t) => t.latencyMs === lat && t.target === measured)?.result;
    check('TTFB overhead p50 <= 15 ms', dt?.supported && gt?.supported ? gt.p50 - dt.p50 : undefined, (v) => v <= 15, lat);
  }
  const rss = r.cells.filter((c) => c.connections === 50).flatMap((c) => c.resources ?? []).filter((u) => u.process === 'gateway');
  check('gateway RSS <= 300 MB at c=50', rss.length ? Math.max(...rss.map((u) => u.maxRssMb)) : undefined, (v) => v <= 300);
  if (r.ledger.length) check('lost requests = 0', lostRequests(r.ledger.at(-1)), (v) => v === 0);
  return out;
}

/**
 * A 2xx without a completed ledger row, or a completed row without its completed workflow (or one
 * still running after the load stopped): each is a lost request.
 */
export function lostRequests(l: LedgerCheck | undefined): number {
  if (!l) return 0;
  const w = l.workflows;
  return l.lost + (w ? Math.max(0, l.completedRows - w.completed) + w.running : 0);
}

export function targetTable(targets: TargetCheck[]): string {
  const rows = targets.map((t) => [t.name, t.latencyMs === undefined ? 'all' : `${t.latencyMs} ms`, t.value, t.status]);
  return `Targets\n${table(['target', 'upstream', 'measured', 'result'], rows, 2)}`;
}

export function machineText(r: BenchResult): string {
  const m = r.machine;
  return [
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, node ${m.node}, ${m.os}`,
    `Load average at start: ${m.loadAvgAtStart.join(' ')} (other work on the machine skews every number)`,
    `Mock: ${r.mockUrl}${r.gatewayUrl ? `   Gateway: ${r.gatewayUrl}` : ''}`,
  ].join('\n');
}

/** bench/results/<timestamp>.json and latest.json (the folder is gitignored). */
export function writeJson(r: BenchResult): string {
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${r.startedAt.replace(/[:.]/g, '-')}.json`);
  const text = `${JSON.stringify(r, null, 2)}\n`;
  writeFileSync(file, text);
  writeFileSync(join(dir, 'latest.json'), text);
  return file;
}
