/**
 * `npm run bench`: how much latency the gateway adds over calling the provider directly, and how
 * many requests/s one machine carries. A benchmark, not a test: it prints numbers and PASS/MISS
 * against the issue's targets, and exits 0 unless it could not run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkLedger, GatewayTally, settle } from './ledger';
import { countRequestWorkflows } from './workflows';
import { runLoad, runTtfb, warmUp, type ResponseHook, type Target } from './load';
import { freePort } from '../src/temporal/devServer';
import { BENCH_KEY, MESSAGES, floorTarget, gatewayTarget, installCleanup, startFloor, startGateway, startMock, stopAll, type FloorProcess, type GatewayProcess, type MockProcess } from './processes';
import * as report from './report';
import { floorTable, floorTargets } from './floorReport';
import { ResourceSampler, releaseSampler } from './resources';

const USAGE = `npm run bench -- [options]
  --duration S     seconds per measured cell (default 10)
  --quick          3 s cells, 30 TTFB samples: a smoke run
  --soak S         seconds for the c=50 gateway cells (the issue's targets talk of 60)
  --warmup S       warm-up per cell before measuring (default 2)
  --latencies L    upstream latencies in ms, comma-separated (default 0,50)
  --ttfb N         streaming TTFB samples per target and latency (default 100)
  --target URL     measure another OpenAI-compatible gateway instead of starting ours
  --key KEY        its bearer key (with --target)
  --model NAME     model to ask for (default auto; mock-small with --target)
  --mock-port P    fixed mock port, so a --target peer can be pointed at it beforehand
  --provider-call activity|local
                   how the chat route runs provider calls (default local: the fast path)
  --no-floor       skip the Temporal floor (bench/floor/: one workflow, one local activity, no governance)
  --shadow SHARE   shadow the chat route on this share (0..1) of requests: run once with, once
                   without, and compare the gateway's latency (the caller must not wait for it)
`;
const CONCURRENCY = [1, 50];

interface Options {
  duration: number;
  soak?: number;
  warmup: number;
  latencies: number[];
  ttfb: number;
  target?: string;
  key?: string;
  model: string;
  mockPort?: number;
  shadow?: number;
  providerCall: 'activity' | 'local';
  floor: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' }, quick: { type: 'boolean' }, soak: { type: 'string' }, warmup: { type: 'string' },
      latencies: { type: 'string' }, ttfb: { type: 'string' }, target: { type: 'string' }, key: { type: 'string' },
      model: { type: 'string' }, 'mock-port': { type: 'string' }, shadow: { type: 'string' }, help: { type: 'boolean' },
      'provider-call': { type: 'string' }, 'no-floor': { type: 'boolean' },
    },
  });
  if (v.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (v.target && !v.key) throw new Error('--target needs --key');
  const num = (s: string | undefined, d: number) => (s === undefined ? d : positive(s));
  return {
    duration: num(v.duration, v.quick ? 3 : 10),
    soak: v.soak === undefined ? undefined : positive(v.soak),
    warmup: num(v.warmup, 2),
    latencies: (v.latencies ?? '0,50').split(',').map((s) => positive(s, true)),
    ttfb: num(v.ttfb, v.quick ? 30 : 100),
    target: v.target,
    key: v.key,
    model: v.model ?? (v.target ? 'mock-small' : 'auto'),
    mockPort: v['mock-port'] === undefined ? undefined : positive(v['mock-port']),
    shadow: v.shadow === undefined ? undefined : Math.min(1, positive(v.shadow, true)),
    providerCall: v['provider-call'] === 'activity' ? 'activity' : 'local',
    floor: !v['no-floor'] && !v.target,
  };
}

function positive(s: string, zeroOk = false): number {
  const n = Number(s);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !zeroOk)) throw new Error(`not a valid number: ${s}`);
  return n;
}

/** The peer's URL may be its origin, its /v1 base or the full endpoint. */
function chatUrl(base: string): string {
  const u = base.replace(/\/+$/, '');
  if (u.endsWith('/chat/completions')) return u;
  return u.endsWith('/v1') ? `${u}/chat/completions` : `${u}/v1/chat/completions`;
}

function log(msg: string): void {
  console.error(`[bench] ${msg}`);
}

/** Everything one run shares: the processes, the targets and the result being filled in. */
interface Run {
  opts: Options;
  result: report.BenchResult;
  mock: MockProcess;
  mockPort: number;
  gateway?: GatewayProcess;
  floor?: FloorProcess;
  measured: Target;
  tally: GatewayTally;
  dataDir: string;
}

function directTarget(mockUrl: string): Target {
  return { name: 'direct', url: `${mockUrl}/chat/completions`, headers: {}, body: { model: 'mock-small', messages: MESSAGES } };
}

async function runCell(run: Run, latencyMs: number, connections: number, target: Target): Promise<void> {
  const ours = target.name === 'gateway';
  const hook: ResponseHook | undefined = ours ? (s, h) => run.tally.record(s, h['x-gatehouse-request-id']) : undefined;
  const seconds = connections === 50 && target.name !== 'direct' && run.opts.soak ? run.opts.soak : run.opts.duration;
  log(`${latencyMs} ms upstream, c=${connections}, ${target.name}: warm-up ${run.opts.warmup} s, then ${seconds} s`);
  await warmUp(target, connections, run.opts.warmup, hook);
  const sampler = samplerFor(run, target);
  await sampler?.start();
  const stats = await runLoad(target, connections, seconds, hook);
  const resources = await sampler?.stop();
  run.result.cells.push({ latencyMs, connections, target: target.name, stats, resources });
  if (run.gateway && !run.gateway.alive()) throw new Error(`the gateway died during the cell:\n${run.gateway.output().slice(-4000)}`);
  await drain(run, target, stats.p99);
}

/** CPU and memory of the process under load and of its own dev server (the gateway's, or the floor's). */
function samplerFor(run: Run, target: Target): ResourceSampler | undefined {
  if (target.name === 'gateway' && run.gateway) return new ResourceSampler({ gateway: run.gateway.pid, temporal: run.gateway.temporalPid, mock: run.mock.pid });
  if (target.name === 'floor' && run.floor) return new ResourceSampler({ floor: run.floor.pid, 'floor temporal': run.floor.temporalPid, mock: run.mock.pid });
  return undefined;
}

/**
 * autocannon abandons the requests in flight when a cell ends; a slow gateway keeps working on them.
 * Ours: wait until its ledger stops growing. A peer cannot be observed: wait about one p99.
 */
async function drain(run: Run, target: Target, p99: number): Promise<void> {
  if (target.name === 'direct') return;
  if (target.name === 'gateway') return settle(join(run.dataDir, 'ledger.db'));
  const ms = Number.isNaN(p99) ? 10_000 : Math.min(p99, 30_000);
  await new Promise((r) => setTimeout(r, ms));
}

async function runTtfbPair(run: Run, latencyMs: number): Promise<void> {
  log(`${latencyMs} ms upstream: streaming TTFB, ${run.opts.ttfb} samples per target`);
  for (const target of [directTarget(run.mock.url), ...(run.floor ? [floorTarget(run.floor)] : []), run.measured]) {
    const onOk = target.name === 'gateway' ? (id: string | undefined) => run.tally.record(200, id) : undefined;
    run.result.ttfb.push({ latencyMs, target: target.name, result: await runTtfb(target, run.opts.ttfb, onOk) });
  }
}

async function runLatency(run: Run, latencyMs: number): Promise<void> {
  for (const connections of CONCURRENCY) {
    await runCell(run, latencyMs, connections, directTarget(run.mock.url));
    if (run.floor) await runCell(run, latencyMs, connections, floorTarget(run.floor));
    await runCell(run, latencyMs, connections, run.measured);
    if (connections === 1) await runTtfbPair(run, latencyMs);
  }
  // After the c=50 cell so the check covers every gateway request of this latency, TTFB included.
  if (run.gateway) {
    const check = await checkLedger(join(run.dataDir, 'ledger.db'), run.tally, `${latencyMs} ms, c=50`);
    check.workflows = await countRequestWorkflows(run.gateway.temporalAddress);
    run.result.ledger.push(check);
    const w = check.workflows;
    log(`ledger: ${check.ok2xxSeen} 2xx seen, ${check.completedRows} completed rows, lost requests: ${check.lost}; workflows: ${w.completed} completed, ${w.running} running, ${w.ended} ended otherwise`);
  }
}

async function setUp(opts: Options, dir: string, result: report.BenchResult): Promise<Run> {
  const latency0 = opts.latencies[0] ?? 0;
  const mockPort = opts.mockPort ?? (await freePort());
  const mock = await startMock(mockPort, latency0);
  result.mockUrl = mock.url;
  log(`mock provider: ${mock.url}${opts.target ? '  <- point the peer gateway here' : ''}`);
  const run: Run = { opts, result, mock, mockPort, tally: new GatewayTally(), dataDir: join(dir, 'data'), measured: directTarget(mock.url) };
  if (opts.target) {
    run.measured = { name: 'peer', url: chatUrl(opts.target), headers: { authorization: `Bearer ${opts.key}` }, body: { model: opts.model, messages: MESSAGES } };
    return run;
  }
  if (opts.floor) {
    log('starting the Temporal floor (its own dev server, one workflow + one local activity per request)…');
    run.floor = await startFloor(dir, mock.url);
    log(`floor: ${run.floor.url} (pid ${run.floor.pid}, dev server pid ${run.floor.temporalPid ?? 'not found'})`);
  }
  log('starting the gateway (dev server, workflow bundle, worker, HTTP)…');
  const started = Date.now();
  run.gateway = await startGateway({ dir, mockUrl: mock.url, key: BENCH_KEY, shadow: opts.shadow, providerCall: opts.providerCall });
  result.gatewayUrl = run.gateway.url;
  log(`gateway: ${run.gateway.url} (pid ${run.gateway.pid}, dev server pid ${run.gateway.temporalPid ?? 'not found'}) after ${Date.now() - started} ms`);
  run.measured = gatewayTarget(run.gateway, opts.model);
  return run;
}

/** pino lines at warn or above that the gateway wrote during the run, grouped by message: under load these are findings. */
function gatewayWarnings(gateway: GatewayProcess | undefined): string[] {
  if (!gateway) return [];
  const counts = new Map<string, number>();
  for (const line of gateway.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const e = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      if ((e.level ?? 0) < 40) continue;
      const key = `level ${e.level}: ${e.msg ?? ''}${e.err?.message ? ` (${e.err.message})` : ''}`.slice(0, 300);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    } catch {
      // a line cut by the output limit
    }
  }
  return [...counts].map(([msg, n]) => `gateway log, ${n}x ${msg}`);
}

/** Non-2xx answers by status code, per cell: the first thing to look at when a cell misses. */
function statusNotes(r: report.BenchResult): string[] {
  return r.cells
    .filter((c) => c.stats.non2xx > 0 || c.stats.errors > 0)
    .map((c) => `${c.latencyMs} ms c=${c.connections} ${c.target}: status codes ${JSON.stringify(c.stats.statusCodes)}, ${c.stats.errors} connection errors (${c.stats.timeouts} timeouts)`);
}

function printReport(r: report.BenchResult, measured: string, latencies: number[]): void {
  r.targets = [...report.evaluateTargets(r, measured, latencies), ...floorTargets(r, measured, latencies)];
  const parts = [report.machineText(r), report.loadTable(r, measured), report.resourceTable(r), report.ttfbTable(r), floorTable(r, measured, latencies), report.ledgerTable(r), report.targetTable(r.targets)];
  if (r.notes.length) parts.push(`Notes\n${r.notes.map((n) => `  - ${n}`).join('\n')}`);
  console.log(`\n${parts.join('\n\n')}\n`);
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  installCleanup();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  // 'exit' covers Ctrl-C too (the cleanup handler exits after stopping the children).
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const result: report.BenchResult = { startedAt: new Date().toISOString(), options: { ...opts, key: opts.key ? '[redacted]' : undefined },
    machine: report.machineInfo(), mockUrl: '', cells: [], ttfb: [], ledger: [], targets: [], notes: [] };
  let run: Run | undefined;
  try {
    run = await setUp(opts, dir, result);
    for (const [i, latencyMs] of opts.latencies.entries()) {
      // One mock port for the whole run (a peer is configured with it), so a new latency means a restart.
      if (i > 0) {
        await run.mock.stop();
        run.mock = await startMock(run.mockPort, latencyMs);
      }
      await runLatency(run, latencyMs);
    }
    result.notes.push(...statusNotes(result), ...gatewayWarnings(run.gateway));
  } finally {
    await stopAll();
    releaseSampler();
  }
  result.finishedAt = new Date().toISOString();
  printReport(result, run.measured.name, opts.latencies);
  console.log(`JSON: ${report.writeJson(result)}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
    await stopAll();
    process.exit(1);
  },
);
