/**
 * Scale-out on a production Temporal server: two front doors (GATEHOUSE_ROLE=http) and two workers
 * (GATEHOUSE_ROLE=worker), each its own `gatehouse start` process with its own data dir, one config,
 * sharing the server, one PostgreSQL database (DATABASE_URL) and Redis. The shared rate limit, a team
 * budget and the kill switch hold across both front doors; a streamed answer reaches a caller of a
 * front door without a worker as fast as one of an in-process gateway; under a steady bounded load a
 * worker and a front door are SIGKILLed, and later a worker is stopped with SIGTERM (a rolling
 * deploy): every accepted request completes exactly once, with exactly one row in the shared ledger.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startMockProvider, type MockProvider } from '../../src/mock';
import { KEYS, auth, chat, hello } from '../helpers/gateway';
import { startGatedProvider, type GatedProvider } from '../helpers/gatedProvider';
import { freshPostgres } from '../helpers/postgres';
import { waitFor } from '../helpers/process';
import { api } from '../helpers/review';
import { DAILY_USD, FLEET_KEYS, Fleet, PRICE_PER_MTOK, fleetConfig, up, type Proc } from './fleet';
import { medianFirstTokenMs } from './firstToken';
import { finishedBy, ledgerRows, runLoad, workflowTally, type Answer, type WorkflowTally } from './load';

const NAMESPACE = 'default'; // a fresh server has none: the first process to start registers it
const CONCURRENCY = 4;
/** The promise of release control: a change reaches every process within 2 s. */
const WITHIN_MS = 2_000;
/** Time to first token, split roles and in-process alike (no streaming test bounds it; generous, for a loaded 2-core machine). */
const FIRST_TOKEN_MS = 1_500;

describe('two front doors and two workers on one production Temporal server, PostgreSQL and Redis', () => {
  const root = mkdtempSync(join(tmpdir(), 'gatehouse-scale-'));
  const taskQueue = `scale-${randomUUID()}`;
  let mock: MockProvider;
  let gated: GatedProvider;
  let fleet: Fleet;
  let databaseUrl: string;

  before(async () => {
    mock = await startMockProvider({ latencyMs: 300 });
    gated = await startGatedProvider(() => ['Hello', ' there']);
    databaseUrl = await freshPostgres();
    fleet = new Fleet(root, fleetConfig(mock.url, gated.url), { taskQueue, namespace: NAMESPACE, databaseUrl });
    // Workers first: the first registers the namespace and migrates the database; then the rest, all at once.
    await fleet.start('worker-1', 'worker');
    await Promise.all([fleet.start('worker-2', 'worker'), fleet.start('door-1', 'http'), fleet.start('door-2', 'http')]);
  });

  after(async () => {
    await fleet?.stopAll();
    await mock?.close();
    await gated?.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function sql<T extends pg.QueryResultRow>(text: string): Promise<T[]> {
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      return (await db.query<T>(text)).rows;
    } finally {
      await db.end();
    }
  }

  it('the rate limit holds across both front doors and both workers (Redis): rpm 3, 3 + 3 requests → exactly 3 answered', async () => {
    const [a, b] = fleet.doors();
    const ask = (door: string) => chat(door, hello('shared limit'), { ...auth(KEYS.analyst), 'x-gatehouse-task': 'summarize' });
    const statuses = (await Promise.all([a!, b!, a!, b!, a!, b!].map(ask))).map((r) => r.status);
    assert.deepEqual([...statuses].sort(), [200, 200, 200, 429, 429, 429], statuses.join(','));
  });

  it('the hard team budget holds across both front doors (PostgreSQL): 20 parallel calls never overshoot by more than one estimate', async (t) => {
    const [a, b] = fleet.doors();
    const ask = (door: string, i: number) => chat(door, { ...hello(`parallel spend ${i}`), max_tokens: 500 }, { ...auth(FLEET_KEYS.crowd), 'x-gatehouse-task': 'budgeted' });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => ask(i % 2 ? b! : a!, i)));
    assert.ok(results.every((r) => r.status === 200 || r.json.error?.code === 'budget_exceeded'), JSON.stringify(results.map((r) => r.status)));
    const ok = results.filter((r) => r.status === 200);
    assert.ok(ok.length >= 1 && ok.length < 20, `${ok.length} answered`);
    const spent = ok.reduce((s, r) => s + r.json.gatehouse.cost_usd, 0);
    const maxEstimate = ((500 + 30) * PRICE_PER_MTOK) / 1e6; // max_tokens + prompt
    assert.ok(spent <= DAILY_USD + maxEstimate, `spent ${spent}`);
    // Every answered request's spend is in the one shared table, whichever worker settled it.
    const [settled] = await sql<{ n: string; usd: string }>(`SELECT count(*) AS n, sum(usd_nanos) AS usd FROM budget_spend WHERE team = 'crowd-team' AND state = 'settled'`);
    assert.equal(Number(settled!.n), ok.length);
    assert.ok(Math.abs(Number(settled!.usd) / 1e9 - spent) < 1e-6, `${Number(settled!.usd) / 1e9} vs ${spent}`);
    t.diagnostic(`${ok.length} of 20 answered, $${spent.toFixed(4)} spent of $${DAILY_USD} (+ one estimate $${maxEstimate.toFixed(4)})`);
  });

  it('a kill switch set through one front door stops traffic through both within 2 s, and lifting it resumes both', async (t) => {
    const [a, b] = fleet.doors();
    const ask = (door: string) => chat(door, hello('kill switch'), { ...auth(KEYS.support), 'x-gatehouse-task': 'chat' });
    /** ms from `since` to the start of the first request through every door for which `done` holds. */
    const seenBy = async (since: number, done: (r: Awaited<ReturnType<typeof ask>>) => boolean) => {
      const firstSeen = async (door: string) => {
        for (;;) {
          const started = Date.now();
          const res = await ask(door);
          if (done(res)) return { ms: started - since, res };
          if (started - since > 10_000) assert.fail(`the change never reached ${door}`);
        }
      };
      return Promise.all([firstSeen(a!), firstSeen(b!)]);
    };
    const admin = { authorization: `Bearer ${FLEET_KEYS.root}` };
    const off = await api(a!, 'POST', '/admin/routes/disable', admin, { target: 'chat', kind: 'route', reason: 'incident 16' });
    assert.equal(off.status, 200, JSON.stringify(off.json));
    const stopped = await seenBy(Date.now(), (r) => r.status === 503);
    for (const { ms, res } of stopped) {
      assert.equal(res.json.error.code, 'route_disabled');
      assert.ok(ms <= WITHIN_MS, `refused after ${ms} ms`);
    }
    const on = await api(b!, 'POST', '/admin/routes/enable', admin, { target: 'chat', reason: 'incident 16 over' });
    assert.equal(on.status, 200, JSON.stringify(on.json));
    const resumed = await seenBy(Date.now(), (r) => r.status === 200);
    assert.ok(resumed.every(({ ms }) => ms <= WITHIN_MS), `resumed after ${resumed.map((r) => r.ms).join(', ')} ms`);
    t.diagnostic(`refused through the doors after ${stopped.map((r) => r.ms).join(' and ')} ms, resumed after ${resumed.map((r) => r.ms).join(' and ')} ms`);
  });

  it('time to first token through a front door without a worker (Redis relay) is within the bound of an in-process gateway', { timeout: 120_000 }, async (t) => {
    // The same cluster, one process of role `all` on its own task queue: the try runs where the caller's connection is.
    const inProcess = await fleet.start('all-in-one', 'all', { GATEHOUSE_TASK_QUEUE: `${taskQueue}-all` });
    try {
      const split = await medianFirstTokenMs(fleet.doors()[0]!, gated);
      const local = await medianFirstTokenMs(inProcess.url!, gated);
      const line = `time to first token, median of 8: front door without a worker ${split} ms, in-process gateway ${local} ms`;
      t.diagnostic(line);
      console.log(`# ${line}`);
      assert.ok(split <= FIRST_TOKEN_MS && local <= FIRST_TOKEN_MS, `${line}; the bound is ${FIRST_TOKEN_MS} ms`);
    } finally {
      await fleet.stop(inProcess);
    }
  });

  const tally = (expected: number) => workflowTally(process.env.TEMPORAL_ADDRESS!, NAMESPACE, taskQueue, expected);

  /**
   * Exactly once: every request answered 2xx under its own id, one more completed workflow per
   * request and none left running, and one row per request in the shared ledger, completed.
   */
  async function exactlyOnce(answers: Answer[], total: number, before: { rows: Map<string, string[]>; workflows: WorkflowTally }): Promise<Set<string>> {
    assert.equal(answers.length, total);
    assert.deepEqual(answers.filter((a) => a.status < 200 || a.status > 299), [], 'every request answered 2xx');
    const ids = new Set(answers.map((a) => a.requestId!));
    assert.equal(ids.size, total, 'one request id per request');
    const wf = await tally(before.workflows.completed + total);
    const expected = { ...before.workflows, completed: before.workflows.completed + total };
    assert.deepEqual(wf, expected, 'one more completed workflow per request, none failed, none left running');
    const rows = [...(await ledgerRows(databaseUrl, 'support'))].filter(([id]) => !before.rows.has(id));
    assert.deepEqual(rows.map(([id]) => id).sort(), [...ids].sort(), 'the new ledger rows are exactly the answered requests');
    assert.deepEqual(rows.filter(([, s]) => s.join() !== 'completed'), [], 'one row each, completed');
    return ids;
  }
  const snapshot = async () => ({ rows: await ledgerRows(databaseUrl, 'support'), workflows: await tally(0) });

  it('SIGKILL of a worker and a front door under load: every accepted request completes exactly once', async (t) => {
    const TOTAL = 60;
    const before = await snapshot();
    let killed = false;
    const answers = await runLoad({
      doors: () => fleet.doors(),
      concurrency: CONCURRENCY,
      total: TOTAL,
      onAnswer: (done) => {
        if (killed || done.length < 12) return;
        killed = true;
        fleet.byName('worker-1').child.kill('SIGKILL');
        fleet.byName('door-1').child.kill('SIGKILL');
      },
    });
    assert.ok(killed, 'the kills happened mid-load');
    await exactlyOnce(answers, TOTAL, before);
    assert.deepEqual(fleet.procs.filter((p) => existsSync(join(root, p.name, 'ledger.db'))).map((p) => p.name), [], 'no SQLite ledger anywhere: the state is in PostgreSQL');
    t.diagnostic(`${answers.filter((a) => a.sends > 1).length} requests resent after the front door died`);
  });

  it('the only worker stopped with SIGTERM mid-load drains: the requests it holds finish there, nothing lost, nothing failed', async (t) => {
    const TOTAL = 40;
    // worker-1 is gone: every request in flight is held by worker-2 when it gets SIGTERM, and the
    // requests that arrive meanwhile wait in the task queue for its replacement.
    const draining = fleet.byName('worker-2');
    assert.ok(up(draining) && !up(fleet.byName('worker-1')));
    const before = await snapshot();
    const callsBefore = mock.calls('mock-small');
    let sigtermAt = 0;
    let replacement: Promise<Proc> | undefined;
    const answers = await runLoad({
      doors: () => fleet.doors(),
      concurrency: CONCURRENCY,
      total: TOTAL,
      onAnswer: (done) => {
        if (replacement || done.length < 8) return;
        // The load moves in waves: SIGTERM once a provider call is under way (more calls than answers),
        // so the worker surely holds a request, not in the lull between two waves.
        replacement = waitFor(() => mock.calls('mock-small') - callsBefore > done.length, 20_000, 'a provider call in flight').then(() => {
          sigtermAt = Date.now();
          draining.child.kill('SIGTERM');
          return fleet.start('worker-3', 'worker');
        });
        replacement.catch(() => {}); // awaited below
      },
    });
    assert.ok(replacement, 'the stop happened mid-load');
    assert.equal(await draining.exited, 0, `the worker exits 0 after draining:\n${draining.output().slice(-2000)}`);
    assert.ok(up(await replacement));
    assert.deepEqual(answers.filter((a) => a.sends > 1), [], 'no request needed a second send');
    const ids = await exactlyOnce(answers, TOTAL, before);
    // Drained, not abandoned: the provider calls it held when the signal came finished there, after the signal.
    const work = await finishedBy(process.env.TEMPORAL_ADDRESS!, NAMESPACE, ids, draining.child.pid!, sigtermAt);
    assert.ok(work.withActivity > 0, `the stopped worker (pid ${draining.child.pid}) finished the calls it held:\n${work.detail.join('\n')}`);
    t.diagnostic(`the stopped worker completed work of ${work.requests} requests after its SIGTERM (${work.withActivity} with an activity)`);
  });
});
