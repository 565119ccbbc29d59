import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { KEYS, auth, chat, hello, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway';
import { spawnGateway, waitFor, type GatewayProcess } from '../helpers/process';

describe('a worker killed mid-request (SIGKILL)', () => {
  let gw: TestGateway;
  const workers: GatewayProcess[] = [];
  before(async () => {
    // This process serves HTTP only; the workers run in separate processes we can kill.
    gw = await startTestGateway({
      worker: false,
      config: (u) => testConfig(u, { routes: [
        { name: 'chat', match: { task: 'chat' }, primary: 'small', timeout: '10s', retries: 2 },
        { name: 'summarize', match: { task: 'summarize' }, primary: 'large' },
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
});
