/**
 * Child processes of the bench: the mock provider and the gateway, each its own OS process so the
 * load generator's CPU is not counted against them. Every child is registered, so Ctrl-C, errors
 * and a plain exit all stop it (SIGTERM, then SIGKILL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, freePortPair } from '../src/temporal/devServer';
import type { Target } from './load';

export const ROOT = join(__dirname, '..');
/** The bench config's demo caller key (GATEHOUSE_DEMO_KEY) and the prompt every cell sends. */
export const BENCH_KEY = 'gh_bench_0000000000000000000000000000000000000000000';
export const MESSAGES = [{ role: 'user', content: 'Hello from the benchmark' }];
const OUTPUT_LIMIT = 200_000; // keep the tail only: a chatty child under load must not grow the bench's heap

export interface Child {
  name: string;
  pid: number;
  output(): string;
  alive(): boolean;
  stop(): Promise<void>;
}

const running = new Set<Child>();
/** Grandchildren we must not leave behind if their parent is SIGKILLed (the gateway's dev server). */
const orphanable = new Set<number>();

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Spawns `command ...args` and resolves once its output contains `ready`. */
async function spawnReady(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, ready: string, timeoutMs: number, graceMs: number): Promise<Child> {
  const proc = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const append = (d: Buffer) => {
    out += d.toString();
    if (out.length > OUTPUT_LIMIT) out = out.slice(-OUTPUT_LIMIT / 2);
  };
  proc.stdout!.on('data', append);
  proc.stderr!.on('data', append);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const child: Child = {
    name,
    pid: proc.pid ?? -1,
    output: () => out,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    stop: () => stopProcess(proc, exited, graceMs).finally(() => running.delete(child)),
  };
  running.add(child);
  try {
    await waitForOutput(() => out, exited, ready, timeoutMs, name);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return child;
}

async function waitForOutput(out: () => string, exited: Promise<void>, ready: string, timeoutMs: number, name: string): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const until = Date.now() + timeoutMs;
  while (!out().includes(ready)) {
    if (gone) throw new Error(`${name} exited before it was ready:\n${out().slice(-4000)}`);
    if (Date.now() > until) throw new Error(`${name} not ready after ${timeoutMs} ms:\n${out().slice(-4000)}`);
    await sleep(50);
  }
}

async function stopProcess(proc: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill('SIGTERM');
  const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!done) {
    proc.kill('SIGKILL');
    await exited;
  }
}

export interface MockProcess extends Child {
  /** OpenAI base URL, ending in /v1. */
  url: string;
}

export async function startMock(port: number, latencyMs: number): Promise<MockProcess> {
  const args = ['src/mock/main.ts', '--port', String(port), '--latency', String(latencyMs)];
  const child = await spawnReady(`mock (${latencyMs} ms)`, process.execPath, ['--import', 'tsx', ...args], process.env, 'mock LLM provider listening', 30_000, 5_000);
  return { ...child, url: `http://127.0.0.1:${port}/v1` };
}

export interface GatewayProcess extends Child {
  url: string;
  /** Its embedded dev server's frontend (host:port). */
  temporalAddress: string;
  /** The `temporal server start-dev` child of the gateway, if found. */
  temporalPid?: number;
}

export interface GatewayStart {
  dir: string;
  mockUrl: string;
  key: string;
  /** Shadow share of the chat route (release control): compare latency with and without. */
  shadow?: number;
  /** How the route runs provider calls (`local` = local activities, the fast path). */
  providerCall?: 'activity' | 'local';
}

/** Writes the bench config and starts `gatehouse start` with fresh state in `dir`. */
export async function startGateway(s: GatewayStart): Promise<GatewayProcess> {
  const configFile = join(s.dir, 'gatehouse.bench.yaml');
  writeFileSync(configFile, benchConfig(s.mockUrl, s.shadow, s.providerCall));
  const port = await freePort();
  const temporalPort = await benchPortPair();
  const env: NodeJS.ProcessEnv = { ...process.env, GATEHOUSE_CONFIG: configFile, GATEHOUSE_PORT: String(port),
    GATEHOUSE_TEMPORAL_PORT: String(temporalPort), GATEHOUSE_DATA_DIR: join(s.dir, 'data'),
    GATEHOUSE_DEMO_KEY: s.key, GATEHOUSE_LOG_LEVEL: 'warn' };
  // Settings that would point the gateway at other state than the fresh dev server and ledger we read.
  for (const k of ['TEMPORAL_ADDRESS', 'GATEHOUSE_LEDGER', 'GATEHOUSE_ROLE', 'GATEHOUSE_HOST']) delete env[k];
  // Its own SIGTERM handling stops the dev server, which may itself take up to 10 s.
  // Launched exactly as `npm start` launches it (bin/gatehouse), so its memory is what users get.
  const child = await spawnReady('gateway', join(ROOT, 'bin/gatehouse'), ['start'], env, 'Gatehouse is running.', 180_000, 20_000);
  const temporalPid = childPids(child.pid).find((p) => processName(p).startsWith('temporal'));
  if (temporalPid !== undefined) orphanable.add(temporalPid);
  const stop = async () => {
    await child.stop();
    if (temporalPid !== undefined) killIfAlive(temporalPid); // only if the gateway died without stopping it
  };
  return { ...child, stop, url: `http://127.0.0.1:${port}`, temporalAddress: `127.0.0.1:${temporalPort}`, temporalPid };
}

/** The floor's chat endpoint as a load target. */
export function floorTarget(floor: FloorProcess, name = 'floor'): Target {
  return { name, url: floor.url, headers: {}, body: { model: 'mock-small', messages: MESSAGES } };
}

/** The gateway's chat endpoint as a load target, as the bench config's demo caller. */
export function gatewayTarget(gateway: GatewayProcess, model: string, name = 'gateway'): Target {
  return { name, url: `${gateway.url}/v1/chat/completions`, headers: { authorization: `Bearer ${BENCH_KEY}` }, body: { model, messages: MESSAGES } };
}

export interface FloorProcess extends Child {
  /** Its chat endpoint. */
  url: string;
  /** Its own dev server (started as Gatehouse starts one), if found. */
  temporalPid?: number;
}

/** A floor other than the environment's (bench/floorSets.ts): its ingredients, Node flags and extra environment. */
export interface FloorVariant {
  with?: string;
  nodeFlags?: string;
  env?: NodeJS.ProcessEnv;
}

/** The Temporal floor (bench/floor/server.ts): the least a durable request costs, with its own dev server. */
export async function startFloor(dir: string, mockUrl: string, variant: FloorVariant = {}): Promise<FloorProcess> {
  const port = await freePort();
  const temporalPort = await benchPortPair();
  const env: NodeJS.ProcessEnv = { ...process.env, ...variant.env, FLOOR_PORT: String(port), FLOOR_MOCK_URL: mockUrl,
    GATEHOUSE_TEMPORAL_PORT: String(temporalPort), GATEHOUSE_DATA_DIR: join(dir, 'floor-data') };
  if (variant.with !== undefined) env.BENCH_FLOOR_WITH = variant.with;
  delete env.TEMPORAL_ADDRESS;
  // BENCH_FLOOR_NODE_FLAGS (e.g. --cpu-prof) is to the floor what GATEHOUSE_NODE_FLAGS is to the gateway.
  const flags = (variant.nodeFlags ?? process.env.BENCH_FLOOR_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const child = await spawnReady('floor', process.execPath, [...flags, '--import', 'tsx', 'bench/floor/server.ts'], env, 'floor is running', 180_000, 20_000);
  const temporalPid = childPids(child.pid).find((p) => processName(p).startsWith('temporal'));
  if (temporalPid !== undefined) orphanable.add(temporalPid);
  const stop = async () => {
    await child.stop();
    if (temporalPid !== undefined) killIfAlive(temporalPid);
  };
  return { ...child, stop, url: `http://127.0.0.1:${port}/v1/chat/completions`, temporalPid };
}

/** One provider (the same mock the direct runs hit), one model, a demo caller and the chat route (optionally shadowed). */
function benchConfig(mockUrl: string, shadow?: number, providerCall = 'local'): string {
  const shadowed = (shadow === undefined ? '' : `, shadow: { model: bench-shadow, share: ${shadow} }`) + `, providerCall: ${providerCall}`;
  return [
    'providers:',
    `  mock: { kind: openai-compatible, baseUrl: "${mockUrl}" }`,
    'models:',
    '  bench-model: { provider: mock, upstream: mock-small, approved: true }',
    '  bench-shadow: { provider: mock, upstream: mock-shadow, approved: true }',
    'callers:',
    '  bench: { team: bench, roles: [caller], tasks: [chat], defaultTask: chat, demo: true }',
    'routes:',
    `  - { name: chat, match: { task: chat }, primary: bench-model, fallbacks: [], timeout: 30s, retries: 2${shadowed} }`,
    '',
  ].join('\n');
}

/** Direct children of `ppid`, from /proc (Linux); empty elsewhere. */
export function childPids(ppid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  return entries.map(Number).filter((pid) => statFields(pid)?.ppid === ppid);
}

function processName(pid: number): string {
  return statFields(pid)?.comm ?? '';
}

/** CPU time a process has used so far, all its threads (user + system), in ms; NaN when it is gone. */
export function cpuMsOf(pid: number | undefined): number {
  return pid === undefined ? NaN : (statFields(pid)?.cpuMs ?? NaN);
}

/** /proc/PID/stat: "pid (comm) state ppid ..."; comm may contain spaces, so split at the last ')'. */
function statFields(pid: number): { comm: string; ppid: number; cpuMs: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const rest = stat.slice(close + 2).split(' ');
    // utime and stime are fields 14 and 15, in clock ticks (USER_HZ, 100 on Linux).
    const cpuMs = ((Number(rest[11]) + Number(rest[12])) * 1000) / 100;
    return { comm: stat.slice(stat.indexOf('(') + 1, close), ppid: Number(rest[1]), cpuMs };
  } catch {
    return undefined;
  }
}

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone: the normal case
  }
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((c) => c.stop().catch(() => undefined)));
  for (const pid of orphanable) killIfAlive(pid);
}

/** Ctrl-C and SIGTERM stop the children first; an exit without stopAll() still SIGKILLs them. */
export function installCleanup(): void {
  const onSignal = (sig: NodeJS.Signals) => {
    console.error(`\n${sig}: stopping children…`);
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', () => {
    for (const c of running) killIfAlive(c.pid);
    for (const pid of orphanable) killIfAlive(pid);
  });
}


/** Away from the default 7233 and the tests' 17233+. */
const benchPortPair = () => freePortPair(27233 + Math.floor(Math.random() * 2000));
