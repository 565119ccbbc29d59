import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { KEYS, hello, startTestGateway, type TestGateway } from '../helpers/gateway';
import { spawnGateway, type GatewayProcess } from '../helpers/process';
import { api, asReviewer, finalView, reviewConfig, waitForAsync } from '../helpers/review';

// SCALE_WAITING=10000 measures the 10,000 (minutes, so with TEST_FILE_TIMEOUT_MS=3600000; not part of the default suite).
const WAITING = Number(process.env.SCALE_WAITING ?? 1000);
const CACHE = Number(process.env.SCALE_CACHE ?? 100);
const START_CONCURRENCY = 100;

/** Resident set size of a process in MB (ps works on Linux and macOS). */
function rssMb(pid: number): number {
  return Math.round(Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)]).toString().trim()) / 1024);
}

/** Runs `fn` over 0..n-1 with at most `limit` in flight. */
async function pool(n: number, limit: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < n) await fn(next++);
  }));
}

/** A Temporal call with a deadline: a stuck server fails this test by name instead of hanging the run. */
function bounded<T>(gw: TestGateway, fn: () => Promise<T>): Promise<T> {
  return gw.client.connection.withDeadline(Date.now() + 60_000, fn);
}

async function reportCounts(gw: TestGateway, worker: GatewayProcess): Promise<void> {
  for (const st of ['running', 'awaiting_review', 'completed', 'failed', 'denied']) {
    console.log(`GatehouseStatus=${st}:`, (await gw.client.workflow.count(`TaskQueue = "${gw.taskQueue}" AND GatehouseStatus = "${st}"`)).count);
  }
  console.log(worker.output().slice(-3000));
}

describe(`${WAITING} requests waiting for review at once`, () => {
  let gw: TestGateway;
  let worker: GatewayProcess | undefined;
  const ids: string[] = [];
  before(async () => {
    gw = await startTestGateway({ worker: false, config: (u) => reviewConfig(u) });
  });
  after(async () => {
    // Leave nothing running on the shared dev server.
    await pool(ids.length, 100, (i) => bounded(gw, () => gw.client.workflow.getHandle(ids[i]!).terminate('test cleanup')).catch(() => {}));
    worker?.child.kill('SIGKILL');
    await gw?.close();
  });

  it('wait in Temporal, not in worker memory (workflow cache smaller than the number waiting)', async () => {
    worker = await spawnGateway({ ...gw.env, GATEHOUSE_ROLE: 'worker', GATEHOUSE_CONFIG: gw.configFile, GATEHOUSE_DATA_DIR: gw.dir, GATEHOUSE_MAX_CACHED_WORKFLOWS: String(CACHE) });
    const pid = worker.child.pid!;
    const idle = rssMb(pid);
    const started = Date.now();
    await pool(WAITING, START_CONCURRENCY, async (i) => {
      const { handle } = await bounded(gw, () => gw.starter.start({ credential: KEYS.support, task: 'draft', body: hello(`hold ${i}`) }));
      ids.push(handle.workflowId);
    });
    const startMs = Date.now() - started;
    const query = `TaskQueue = "${gw.taskQueue}" AND GatehouseStatus = "awaiting_review"`;
    let peak = 0;
    const heldAtLeast = (n: number) => waitForAsync(async () => {
      peak = Math.max(peak, rssMb(pid));
      return (await bounded(gw, () => gw.client.workflow.count(query))).count >= n;
    }, 300_000, `${n} held requests`);
    await heldAtLeast(WAITING / 2);
    const half = rssMb(pid);
    await heldAtLeast(WAITING).catch(async (err) => {
      await reportCounts(gw, worker!); // what is stuck where, for whoever reads a failure
      throw err;
    });
    const heldMs = Date.now() - started;
    await new Promise((r) => setTimeout(r, 2000));
    const settled = rssMb(pid);
    console.log(`[review scale] ${WAITING} held in ${(heldMs / 1000).toFixed(1)} s (all started in ${(startMs / 1000).toFixed(1)} s), workflow cache ${CACHE}; ` +
      `worker RSS: idle ${idle} MB, ${WAITING / 2} waiting ${half} MB, ${WAITING} waiting ${settled} MB (peak ${peak} MB); ` +
      `the second ${WAITING / 2} added ${settled - half} MB (${(((settled - half) * 1024) / (WAITING / 2)).toFixed(0)} KB each)`);

    // Evicted ones are replayed from history when decided.
    const sample = [ids[0]!, ids[WAITING / 2]!, ids[WAITING - 1]!];
    for (const id of sample) assert.equal((await api(gw.url, 'POST', `/admin/reviews/${id}/approve`, asReviewer('alice'), {})).status, 200);
    for (const id of sample) assert.equal((await finalView(gw.url, id)).status, 'completed');
    const after = rssMb(pid);
    console.log(`[review scale] after 3 decisions: worker RSS ${after} MB`);
    // Once the cache is full, more waiting requests must not cost memory per request (evicted = only history).
    assert.ok(settled - half < 120, `the second ${WAITING / 2} waiting requests added ${settled - half} MB`);
  });
});
