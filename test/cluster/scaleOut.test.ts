/**
 * Scale-out on a production Temporal server: two front doors (GATEHOUSE_ROLE=http) and two workers
 * (GATEHOUSE_ROLE=worker), each its own `gatehouse start` process with its own data dir, one config,
 * sharing the server and Redis. Under a steady bounded load a worker and a front door are SIGKILLed,
 * and later a worker is stopped with SIGTERM (a rolling deploy): every accepted request completes
 * exactly once. Until the ledger is shared (DATABASE_URL), each worker writes rows to its own
 * SQLite ledger, so rows are counted across the workers' ledgers.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { startMockProvider, type MockProvider } from '../../src/mock';
import { KEYS, auth, chat, hello, testConfig } from '../helpers/gateway';
import { spawnGateway, type GatewayProcess } from '../helpers/process';
import { finishedSince, ledgerRows, runLoad, workflowTally, type Answer } from './load';

const NAMESPACE = 'default'; // a fresh server has none: the first process to start registers it
const CONCURRENCY = 4;
const RPM = 3;

interface Proc extends GatewayProcess {
  name: string;
  dir: string;
  url?: string;
}

/** The workers' credential key pair: workers open with the private key, front doors seal to the public one. */
function credentialKeys(): { privateKey: string; publicKey: string } {
  const jwk = generateKeyPairSync('x25519').privateKey.export({ format: 'jwk' });
  return { privateKey: Buffer.from(jwk.d!, 'base64url').toString('base64'), publicKey: Buffer.from(jwk.x!, 'base64url').toString('base64') };
}

describe('two front doors and two workers on one production Temporal server', () => {
  const root = mkdtempSync(join(tmpdir(), 'gatehouse-scale-'));
  const taskQueue = `scale-${randomUUID()}`;
  const procs: Proc[] = [];
  const keys = credentialKeys();
  let mock: MockProvider;
  let shared: NodeJS.ProcessEnv;

  const start = async (name: string, role: 'http' | 'worker'): Promise<Proc> => {
    const dir = join(root, name);
    const roleEnv = role === 'worker' ? { GATEHOUSE_CREDENTIAL_KEY: keys.privateKey } : { GATEHOUSE_CREDENTIAL_PUBLIC_KEY: keys.publicKey };
    const p = await spawnGateway({ ...shared, ...roleEnv, GATEHOUSE_ROLE: role, GATEHOUSE_DATA_DIR: dir });
    const url = role === 'http' ? /Gateway:\s+(\S+)/.exec(p.output())?.[1] : undefined;
    const proc: Proc = { ...p, name, dir, ...(url ? { url } : {}) };
    procs.push(proc);
    return proc;
  };
  const ledgers = (...names: string[]) => names.map((n) => join(root, n, 'ledger.db'));

  before(async () => {
    // Every provider call takes a while, so a killed process always has requests in flight.
    mock = await startMockProvider({ latencyMs: 300 });
    const configFile = join(root, 'gatehouse.config.yaml');
    const routes = [
      { name: 'chat', match: { task: 'chat' }, primary: 'small', fallbacks: ['large'], timeout: '10s', retries: 2 },
      { name: 'summarize', match: { task: 'summarize' }, primary: 'large', fallbacks: [], timeout: '10s', retries: 0 },
    ];
    // The analyst's own limit, for the shared-limit test (the load runs as `support`, unlimited).
    writeFileSync(configFile, stringify(testConfig(mock.url, { routes, limits: { callers: { analyst: { rpm: RPM } } } })));
    shared = {
      ...process.env,
      GATEHOUSE_CONFIG: configFile,
      GATEHOUSE_PORT: '0',
      GATEHOUSE_TASK_QUEUE: taskQueue,
      TEMPORAL_NAMESPACE: NAMESPACE,
      // Every process encrypts and decrypts the same payloads: one codec key for all.
      GATEHOUSE_CODEC_KEY: randomBytes(32).toString('base64'),
    };
    // Workers first: the first registers the namespace; then the front doors, all at once.
    await start('worker-1', 'worker');
    await Promise.all([start('worker-2', 'worker'), start('door-1', 'http'), start('door-2', 'http')]);
  });

  after(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    await mock?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const up = (p: Proc) => p.child.exitCode === null && p.child.signalCode === null;
  const doors = () => procs.filter((p) => p.url && up(p)).map((p) => p.url!);
  const byName = (name: string) => procs.find((p) => p.name === name)!;

  /** Every logical request answered 2xx once, under its own id; returns the ids. */
  function answeredOnce(answers: Answer[], total: number): Set<string> {
    assert.equal(answers.length, total);
    const bad = answers.filter((a) => a.status < 200 || a.status > 299);
    assert.deepEqual(bad, [], 'every request answered 2xx');
    const ids = new Set(answers.map((a) => a.requestId!));
    assert.equal(ids.size, total, 'one request id per request');
    return ids;
  }

  it('the rate limit holds across both front doors and both workers (Redis): rpm 3, 3 + 3 requests → exactly 3 answered', async () => {
    const [a, b] = doors();
    const ask = (door: string) => chat(door, hello('shared limit'), { ...auth(KEYS.analyst), 'x-gatehouse-task': 'summarize' });
    const statuses = (await Promise.all([a!, b!, a!, b!, a!, b!].map(ask))).map((r) => r.status);
    assert.deepEqual([...statuses].sort(), [200, 200, 200, 429, 429, 429], statuses.join(','));
  });

  const tally = (expected: number) => workflowTally(process.env.TEMPORAL_ADDRESS!, NAMESPACE, taskQueue, expected);

  it('SIGKILL of a worker and a front door under load: every accepted request completes exactly once', async (t) => {
    const TOTAL = 60;
    const before = await tally(0);
    let killed = false;
    const answers = await runLoad({
      doors,
      concurrency: CONCURRENCY,
      total: TOTAL,
      onAnswer: (done) => {
        if (killed || done.length < 12) return;
        killed = true;
        byName('worker-1').child.kill('SIGKILL');
        byName('door-1').child.kill('SIGKILL');
      },
    });
    assert.ok(killed, 'the kills happened mid-load');
    const ids = answeredOnce(answers, TOTAL);

    const wf = await tally(before.completed + TOTAL);
    assert.deepEqual(wf, { ...before, completed: before.completed + TOTAL }, 'one more completed workflow per request, none left running');

    const rows = ledgerRows(ledgers('worker-1', 'worker-2'), ids);
    assert.deepEqual([...ids].filter((id) => !rows.statuses.get(id)?.length), [], 'every answered request has its ledger row');
    assert.deepEqual([...rows.statuses].filter(([, s]) => s.some((x) => x !== 'completed')), [], 'every row says completed');
    // Separate SQLite ledgers cannot deduplicate across processes: a row the killed worker wrote just
    // before dying is written again by the worker that finished the request. Nothing else may repeat.
    const killedWorkerRows = rows.byFile.get(ledgers('worker-1')[0]!)!;
    const twice = [...rows.statuses].filter(([, s]) => s.length > 1).map(([id]) => id);
    assert.deepEqual(twice.filter((id) => !killedWorkerRows.has(id)), [], 'a repeated row only for a request the killed worker was finishing');
    assert.ok(twice.length <= CONCURRENCY, `${twice.length} repeated rows`);
    t.diagnostic(`${answers.filter((a) => a.sends > 1).length} requests resent after the front door died; ${twice.length} rows repeated across ledgers`);
  });

  it('the only worker stopped with SIGTERM mid-load drains: the requests it holds finish there, nothing lost, nothing failed', async (t) => {
    const TOTAL = 40;
    // worker-1 is gone: every request in flight is held by worker-2 when it gets SIGTERM, and the
    // requests that arrive meanwhile wait in the task queue for its replacement.
    const draining = byName('worker-2');
    assert.ok(up(draining) && !up(byName('worker-1')));
    const before = await tally(0);
    let sigtermAt = '';
    let replacement: Promise<Proc> | undefined;
    const answers = await runLoad({
      doors,
      concurrency: CONCURRENCY,
      total: TOTAL,
      onAnswer: (done) => {
        if (replacement || done.length < 8) return;
        sigtermAt = new Date().toISOString();
        draining.child.kill('SIGTERM');
        replacement = start('worker-3', 'worker');
      },
    });
    assert.ok(replacement, 'the stop happened mid-load');
    assert.equal(await draining.exited, 0, `the worker exits 0 after draining:\n${draining.output().slice(-2000)}`);
    assert.ok(up(await replacement));
    const ids = answeredOnce(answers, TOTAL);
    assert.deepEqual(answers.filter((a) => a.sends > 1), [], 'no request needed a second send');

    const wf = await tally(before.completed + TOTAL);
    assert.deepEqual(wf, { ...before, completed: before.completed + TOTAL });
    const rows = ledgerRows(ledgers('worker-2', 'worker-3'), ids);
    assert.deepEqual([...ids].filter((id) => rows.statuses.get(id)?.join() !== 'completed'), [], 'each request has exactly one ledger row, completed');
    // Drained, not abandoned: requests it held when the signal came were finished by it, after the signal.
    const afterSignal = finishedSince(ledgers('worker-2')[0]!, ids, sigtermAt);
    assert.ok(afterSignal > 0, 'the stopped worker finished the requests it held');
    t.diagnostic(`the stopped worker finished ${afterSignal} requests after its SIGTERM; its replacement ${rows.byFile.get(ledgers('worker-3')[0]!)!.size}`);
  });
});
