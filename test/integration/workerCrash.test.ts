import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { KEYS, auth, chat, hello, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway';
import { spawnGateway, waitFor, type GatewayProcess } from '../helpers/process';
import { api, finalView } from '../helpers/review';

describe('a worker killed mid-request (SIGKILL)', () => {
  let gw: TestGateway;
  const workers: GatewayProcess[] = [];
  before(async () => {
    // This process serves HTTP only; the workers run in separate processes we can kill.
    gw = await startTestGateway({
      worker: false,
      config: (u) => testConfig(u, { routes: [
        { name: 'chat', match: { task: 'chat' }, primary: 'small', timeout: '10s', retries: 2 },
        // No lost-worker budget either: a killed try is the gateway's failure, said as such.
        { name: 'brittle', match: { task: 'summarize', risk: ['high'] }, primary: 'large', timeout: '10s', retries: 0, workerRetries: 0 },
        // No provider retries and no fallback: only the lost-worker budget can save a killed try.
        { name: 'summarize', match: { task: 'summarize' }, primary: 'large', timeout: '10s', retries: 0 },
      ] }),
    });
  });
  after(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await gw?.close();
  });

  const workerEnv = () => ({
    ...gw.env,
    GATEHOUSE_ROLE: 'worker',
    GATEHOUSE_CONFIG: gw.configFile,
    GATEHOUSE_DATA_DIR: gw.dir,
  });

  it('loses nothing: a new worker finishes the request, provider called at most once more', async () => {
    workers.push(await spawnGateway(workerEnv()));
    gw.mock.queueFaults('mock-small', ['latency=3000']); // the first call is slow, so we kill mid-call
    const pending = chat(gw.url, hello('survive a crash'), auth(KEYS.support));

    await waitFor(() => gw.mock.calls('mock-small') === 1, 15_000, 'the provider call to start');
    workers[0]!.child.kill('SIGKILL');
    await workers[0]!.exited;
    workers.push(await spawnGateway(workerEnv()));

    const res = await pending;
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.choices[0].message.content, 'Mock answer to: survive a crash');
    assert.ok(gw.mock.calls('mock-small') <= 2, `provider called ${gw.mock.calls('mock-small')} times`);

    const id = res.headers.get('x-gatehouse-request-id')!;
    const db = new Database(join(gw.dir, 'ledger.db'), { readonly: true });
    const rows = db.prepare('SELECT status FROM requests WHERE request_id = ?').all(id) as Array<{ status: string }>;
    db.close();
    assert.deepEqual(rows, [{ status: 'completed' }], 'exactly one ledger row');
  });

  /** The attempts the request recorded (the ledger's JSON column). */
  const attemptsOf = (id: string): Array<{ model: string; outcome: string; error?: string }> => {
    const db = new Database(join(gw.dir, 'ledger.db'), { readonly: true });
    const row = db.prepare('SELECT status, attempts FROM requests WHERE request_id = ?').get(id) as { status: string; attempts: string };
    db.close();
    assert.equal(row.status, 'completed');
    return JSON.parse(row.attempts);
  };

  /** Only `fresh` runs workflows from here on: the worker we kill is surely the one calling the provider. */
  const onlyWorker = async (fresh: () => Promise<GatewayProcess>) => {
    for (const w of workers) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    const w = await fresh();
    workers.push(w);
    return w;
  };

  it('retries: 0, no fallback: the killed try runs again on a new worker (the provider did not fail)', async () => {
    const victim = await onlyWorker(() => spawnGateway(workerEnv()));
    gw.mock.queueFaults('mock-large', ['latency=3000']);
    const pending = chat(gw.url, hello('the gateway failed, not the model'), { ...auth(KEYS.support), 'x-gatehouse-task': 'summarize' });

    await waitFor(() => gw.mock.calls('mock-large') === 1, 15_000, 'the provider call to start');
    victim.child.kill('SIGKILL');
    await victim.exited;
    workers.push(await spawnGateway(workerEnv()));

    const res = await pending;
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.choices[0].message.content, 'Mock answer to: the gateway failed, not the model');
    const attempts = attemptsOf(res.headers.get('x-gatehouse-request-id')!);
    assert.deepEqual(attempts.map((a) => [a.model, a.outcome, a.error]), [['large', 'failed', 'WorkerLost'], ['large', 'ok', undefined]]);
  });

  it('workerRetries spent: 503 gateway_worker_lost names the gateway, not provider_error', async () => {
    const victim = await onlyWorker(() => spawnGateway(workerEnv()));
    gw.mock.queueFaults('mock-large', ['latency=3000']);
    const before = gw.mock.calls('mock-large');
    const pending = chat(gw.url, hello('nobody to run it'), { ...auth(KEYS.support), 'x-gatehouse-task': 'summarize', 'x-gatehouse-risk': 'high' });

    await waitFor(() => gw.mock.calls('mock-large') === before + 1, 15_000, 'the provider call to start');
    victim.child.kill('SIGKILL');
    await victim.exited;
    workers.push(await spawnGateway(workerEnv()));

    const res = await pending;
    assert.equal(res.status, 503, JSON.stringify(res.json));
    assert.equal(res.json.error.code, 'gateway_worker_lost');
    assert.match(res.json.error.message, /the provider did not fail/);
    assert.deepEqual(res.json.gatehouse.attempts.map((a: { error?: string }) => a.error), ['WorkerLost']);
    assert.equal(gw.mock.calls('mock-large'), before + 1, 'not run again');
  });

  it('survives SIGKILL of every gateway process (HTTP and worker) mid-call: the answer is there after a restart', async () => {
    // One process is both front door and worker; the Temporal server is all that stays up.
    const first = await onlyWorker(() => spawnGateway({ ...workerEnv(), GATEHOUSE_ROLE: 'all' }));
    const url = (p: GatewayProcess) => /Gateway: +(http:\/\/\S+)/.exec(p.output())?.[1] ?? assert.fail(p.output());
    gw.mock.queueFaults('mock-large', ['latency=3000']);
    const before = gw.mock.calls('mock-large');
    const accepted = await api(url(first), 'POST', '/v1/chat/completions', { ...auth(KEYS.support), 'x-gatehouse-task': 'summarize', prefer: 'respond-async' }, hello('all of it died'));
    assert.equal(accepted.status, 202, JSON.stringify(accepted.json));
    const id = accepted.json.id as string;

    await waitFor(() => gw.mock.calls('mock-large') === before + 1, 15_000, 'the provider call to start');
    first.child.kill('SIGKILL');
    await first.exited;
    const second = await spawnGateway({ ...workerEnv(), GATEHOUSE_ROLE: 'all' });
    workers.push(second);

    const view = await finalView(url(second), id, auth(KEYS.support), 30_000);
    assert.equal(view.status, 'completed', JSON.stringify(view));
    assert.equal(view.result.choices[0].message.content, 'Mock answer to: all of it died');
    assert.deepEqual(attemptsOf(id).map((a) => a.error), ['WorkerLost', undefined]);
  });
});
