import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { chat, hello, startTestGateway, type TestGateway } from '../helpers/gateway';
import { spawnGateway, type GatewayProcess } from '../helpers/process';
import { api, asReviewer, asSupport, finalView, reviewConfig } from '../helpers/review';

/**
 * This process serves HTTP only; workers run in their own processes, which the tests kill. Hooks
 * of the calling suite start and stop them.
 */
function frontDoorAndWorkers(env: Record<string, string> = {}) {
  const s = { gw: undefined as unknown as TestGateway, workers: [] as GatewayProcess[] };
  before(async () => {
    s.gw = await startTestGateway({ worker: false, config: (u) => reviewConfig(u), env });
  });
  after(async () => {
    for (const w of s.workers) w.child.kill('SIGKILL');
    await s.gw?.close();
  });
  const startWorker = async () => {
    const { gw } = s;
    s.workers.push(await spawnGateway({ ...gw.env, GATEHOUSE_ROLE: 'worker', GATEHOUSE_CONFIG: gw.configFile, GATEHOUSE_DATA_DIR: gw.dir }));
  };
  /** A request held for review by the one worker, which is then SIGKILLed: its id. */
  const heldThenWorkerKilled = async (text: string): Promise<string> => {
    await startWorker();
    const res = await chat(s.gw.url, hello(text), { ...asSupport, 'x-gatehouse-task': 'draft' });
    assert.equal(res.status, 202, JSON.stringify(res.json));
    const worker = s.workers[s.workers.length - 1]!;
    worker.child.kill('SIGKILL');
    await worker.exited;
    return res.json.id as string;
  };
  return { s, startWorker, heldThenWorkerKilled };
}

describe('a held request survives a worker restart', () => {
  const { s, startWorker, heldThenWorkerKilled } = frontDoorAndWorkers();

  it('is held by one worker, decided while another runs, and completes once', async () => {
    const { gw } = s;
    const id = await heldThenWorkerKilled('wait for me');
    const whileDown = await api(gw.url, 'GET', `/v1/requests/${id}`, asSupport);
    assert.equal(whileDown.json.status, 'awaiting_review', 'status needs no worker');

    await startWorker();
    const decided = await api(gw.url, 'POST', `/admin/reviews/${id}/approve`, asReviewer('alice'), { comment: 'after the restart' });
    assert.equal(decided.status, 200, JSON.stringify(decided.json));
    const view = await finalView(gw.url, id);
    assert.equal(view.result.choices[0].message.content, 'Mock answer to: wait for me');
    assert.equal(gw.mock.calls('mock-small'), 1, 'the provider was not called again');

    const db = new Database(join(gw.dir, 'ledger.db'), { readonly: true });
    const rows = db.prepare('SELECT status, reviewer FROM requests WHERE request_id = ?').all(id);
    db.close();
    assert.deepEqual(rows, [{ status: 'completed', reviewer: 'alice' }], 'exactly one ledger row');
  });
});

describe('a decision while no worker runs', () => {
  const { s, startWorker, heldThenWorkerKilled } = frontDoorAndWorkers({ GATEHOUSE_REVIEW_WAIT: '1500ms' });

  it('shows and decides with 503 (review_unavailable, review_not_confirmed) after the wait instead of hanging, and the request is still decided once a worker is back', async (t) => {
    const { gw } = s;
    const id = await heldThenWorkerKilled('decide me later');

    // Showing the held answer needs a worker too (a query): 503 after the wait, not the server's ~30 s.
    const askedAt = Date.now();
    const shown = await api(gw.url, 'GET', `/admin/reviews/${id}`, asReviewer('alice'));
    const askedFor = Date.now() - askedAt;
    assert.equal(shown.status, 503, JSON.stringify(shown.json));
    assert.equal(shown.json.error.code, 'review_unavailable');
    assert.ok(askedFor >= 1400 && askedFor < 10_000, `answered after ${askedFor} ms`);

    const started = Date.now();
    const sent = await api(gw.url, 'POST', `/admin/reviews/${id}/approve`, asReviewer('alice'), { comment: 'nobody home' });
    const waited = Date.now() - started;
    assert.equal(sent.status, 503, JSON.stringify(sent.json));
    assert.equal(sent.json.error.code, 'review_not_confirmed');
    assert.match(sent.json.error.message, /within 1\.5 s/);
    assert.ok(waited >= 1400 && waited < 10_000, `answered after ${waited} ms`);

    // The decision may still have been applied when the new worker ran the request; if not, deciding again works.
    await startWorker();
    const again = await api(gw.url, 'POST', `/admin/reviews/${id}/approve`, asReviewer('alice'), { comment: 'second try' });
    assert.ok([200, 409, 503].includes(again.status), JSON.stringify(again.json));
    t.diagnostic(`deciding again after the worker came back: ${again.status} ${again.json?.error?.code ?? ''}`);
    let view = await finalView(gw.url, id, asSupport, 40_000).catch(() => undefined);
    if (!view) {
      // Still held: the new worker picks the request up once the dead worker's sticky queue times out.
      const last = await api(gw.url, 'POST', `/admin/reviews/${id}/approve`, asReviewer('alice'), { comment: 'third try' });
      assert.ok([200, 409].includes(last.status), JSON.stringify(last.json));
      view = await finalView(gw.url, id, asSupport, 40_000);
    }
    assert.equal(view.status, 'completed');
    assert.equal(view.result.choices[0].message.content, 'Mock answer to: decide me later');
  });
});
