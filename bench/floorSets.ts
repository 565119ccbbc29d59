/**
 * `npm run bench:floor`: the Temporal floor (bench/floor/) in several variants, interleaved, by CPU
 * per request at one concurrency. It answers "what does this ingredient cost on its own?" and
 * "what would Gatehouse's mandatory ingredients cost with no Gatehouse logic at all?" (issue 18),
 * where one `npm run bench` per variant would put minutes of machine drift between them.
 *
 *   npm run bench:floor -- [--seconds 15] [--rounds 3] [--connections 50] [--latency 0] SET...
 *
 * A SET is `label=ingredients` or `label=ingredients@flags`: ingredients as BENCH_FLOOR_WITH takes
 * them (empty for the plain floor), flags the floor's Node flags, `gatehouse` for the ones
 * `bin/gatehouse` starts the gateway with (and its MALLOC_ARENA_MAX); `label=gateway` is Gatehouse
 * itself, started and loaded exactly as `npm run bench` does. The first set is the
 * reference the others are divided by. Each round starts every set afresh (its own dev server and
 * data), warms it up, then measures; the order rotates each round.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoad, warmUp, round, type Target } from './load';
import { BENCH_KEY, ROOT, cpuMsOf, floorTarget, gatewayTarget, installCleanup, startFloor, startGateway, startMock, stopAll, type FloorVariant } from './processes';
import { ResourceSampler, releaseSampler } from './resources';
import { freePort } from '../src/temporal/devServer';

/** The Node flags `bin/gatehouse` starts the gateway with on this machine (its memory settings). */
function gatehouseFlags(): string {
  return execFileSync(join(ROOT, 'bin/gatehouse'), ['node-flags'], { encoding: 'utf8' }).trim();
}

interface FloorSet {
  label: string;
  /** Absent: Gatehouse itself (`label=gateway`), started as `npm run bench` starts it. */
  variant?: FloorVariant;
}

/** A started set: where to send load, and which processes to count. */
interface Running {
  target: Target;
  pid: number;
  temporalPid?: number;
  stop(): Promise<void>;
}

interface Measured {
  label: string;
  round: number;
  rps: number;
  p50: number;
  p99: number;
  /** CPU ms per answered request: the floor process (all threads) and its dev server. */
  workerMs: number;
  devMs: number;
  rssMb: number;
}

function parseSets(args: string[]): FloorSet[] {
  return args.map((arg) => {
    const m = /^([\w.-]+)=([\w,]*)(?:@(.*))?$/.exec(arg);
    if (!m) throw new Error(`not a set: "${arg}" (label=ingredients, label=ingredients@flags or label=gateway)`);
    if (m[2] === 'gateway') return { label: m[1]! };
    const flags = m[3] === 'gatehouse' ? gatehouseFlags() : (m[3] ?? '');
    const env = m[3] === 'gatehouse' ? { MALLOC_ARENA_MAX: '2' } : {};
    return { label: m[1]!, variant: { with: m[2]!, nodeFlags: flags, env } };
  });
}

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(args.splice(i, 2)[1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} takes a number`);
  return v;
}

async function start(set: FloorSet, dir: string, mockUrl: string): Promise<Running> {
  if (!set.variant) {
    mkdirSync(dir, { recursive: true });
    const g = await startGateway({ dir, mockUrl, key: BENCH_KEY });
    return { target: gatewayTarget(g, 'auto', set.label), pid: g.pid, temporalPid: g.temporalPid, stop: g.stop };
  }
  const f = await startFloor(dir, mockUrl, set.variant);
  return { target: floorTarget(f, set.label), pid: f.pid, temporalPid: f.temporalPid, stop: f.stop };
}

async function measure(set: FloorSet, roundNo: number, dir: string, mockUrl: string, o: { seconds: number; connections: number }): Promise<Measured> {
  const run = await start(set, join(dir, `${set.label}-${roundNo}`), mockUrl);
  try {
    await warmUp(run.target, o.connections, 3);
    const sampler = new ResourceSampler({ measured: run.pid });
    await sampler.start();
    const before = [cpuMsOf(run.pid), cpuMsOf(run.temporalPid)];
    const stats = await runLoad(run.target, o.connections, o.seconds);
    const after = [cpuMsOf(run.pid), cpuMsOf(run.temporalPid)];
    const usage = await sampler.stop();
    if (stats.non2xx || stats.errors) throw new Error(`${set.label}: ${stats.non2xx} non-2xx and ${stats.errors} errors`);
    const per = (i: number) => round((after[i]! - before[i]!) / stats.ok2xx, 2);
    return { label: set.label, round: roundNo, rps: stats.rps, p50: stats.p50, p99: stats.p99, workerMs: per(0), devMs: per(1), rssMb: usage[0]?.maxRssMb ?? NaN };
  } finally {
    await run.stop();
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

type Figure = 'rps' | 'p50' | 'p99' | 'workerMs' | 'devMs';

function summary(sets: FloorSet[], rows: Measured[]): string {
  const ref = sets[0]!.label;
  const of = (label: string, k: Figure | 'rssMb') => median(rows.filter((r) => r.label === label).map((r) => r[k]));
  // Each round's value over the reference's in the same round: the machine drifts between rounds.
  const ratio = (label: string, k: Figure) => {
    const own = rows.filter((r) => r.label === label);
    const per = own.map((r) => r[k] / rows.find((x) => x.label === ref && x.round === r.round)![k]);
    return `${round(of(label, k), 2)} (${round(median(per), 2)}×)`;
  };
  const lines = ['| set | ingredients | flags | req/s | p50 ms | p99 ms | worker CPU ms/req | dev-server CPU ms/req | peak RSS MB |', '|---|---|---|---|---|---|---|---|---|'];
  for (const s of sets) {
    const what = s.variant ? `${s.variant.with || '–'} | ${s.variant.nodeFlags || 'V8 defaults'}` : 'Gatehouse | bin/gatehouse';
    lines.push(`| ${s.label} | ${what} | ${ratio(s.label, 'rps')} | ${ratio(s.label, 'p50')} | ${ratio(s.label, 'p99')} | ${ratio(s.label, 'workerMs')} | ${ratio(s.label, 'devMs')} | ${of(s.label, 'rssMb')} |`);
  }
  return `Medians over rounds; in brackets the median of each round's ratio to "${ref}" in that round:\n${lines.join('\n')}`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const o = { seconds: option(args, 'seconds', 15), rounds: option(args, 'rounds', 3), connections: option(args, 'connections', 50), latency: option(args, 'latency', 0) };
  const sets = parseSets(args);
  if (sets.length === 0) throw new Error('name at least one set, e.g. floor= all=codec,attributes,seal,sdk,ledger@gatehouse');
  installCleanup();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-floors-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const mock = await startMock(await freePort(), o.latency);
  const rows: Measured[] = [];
  try {
    for (let r = 0; r < o.rounds; r++) {
      // Rotated each round, so no set always runs first on a cold machine.
      for (const set of [...sets.slice(r % sets.length), ...sets.slice(0, r % sets.length)]) {
        const m = await measure(set, r + 1, dir, mock.url, o);
        rows.push(m);
        console.log(`round ${m.round} ${m.label}: ${m.rps} req/s, p50 ${m.p50} ms, worker ${m.workerMs} ms, dev server ${m.devMs} ms CPU per request, RSS ${m.rssMb} MB`);
      }
    }
  } finally {
    await stopAll();
    releaseSampler();
  }
  console.log(`\n${o.connections} connections, ${o.seconds} s per run, ${o.latency} ms upstream, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n${summary(sets, rows)}`);
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    console.error(`bench:floor failed: ${err instanceof Error ? err.message : String(err)}`);
    await stopAll();
    process.exit(1);
  },
);
