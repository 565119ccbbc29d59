import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { runRoutesCommand } from '../../src/cli/routes';
import { chat, hello, startTestGateway, type TestGateway } from '../helpers/gateway';
import { spawnGateway, type GatewayProcess } from '../helpers/process';
import { RELEASE_KEYS, as, releaseConfig } from '../helpers/release';
import { api } from '../helpers/review';
import { freshPostgres, skipWithoutPostgres } from '../helpers/postgres';

/** The promise: a change reaches every gateway process within 2 s, without a restart. */
const WITHIN_MS = 2_000;

/**
 * The shared store: one SQLite file in a shared data dir (one machine), or PostgreSQL
 * (DATABASE_URL), with each process on its own data dir, as on two machines.
 */
const STORES = [
  { name: 'one SQLite file', skip: false as const, postgres: false },
  { name: 'PostgreSQL, separate data dirs', skip: skipWithoutPostgres, postgres: true },
];

for (const store of STORES) describe(`release control across two gateway processes (shared store: ${store.name})`, { skip: store.skip }, () => {
  let a: TestGateway;
  let b: GatewayProcess;
  let bUrl: string;
  before(async () => {
    const env = store.postgres ? { DATABASE_URL: await freshPostgres() } : {};
    a = await startTestGateway({ config: releaseConfig, env });
    // Its own task queue, so requests through B are admitted and planned by B's own worker.
    const dataDir = store.postgres ? `${a.dir}/b` : a.dir;
    b = await spawnGateway({ ...a.env, GATEHOUSE_CONFIG: a.configFile, GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_PORT: '0', GATEHOUSE_TASK_QUEUE: `${a.taskQueue}-b` });
    bUrl = /Gateway:\s+(\S+)/.exec(b.output())![1]!;
    if (store.postgres) assert.ok(!existsSync(`${dataDir}/ledger.db`) && !existsSync(`${a.dir}/ledger.db`), 'no SQLite file: the state is in PostgreSQL');
  });
  after(async () => {
    b?.child.kill('SIGTERM');
    await b?.exited;
    await a?.close();
  });

  const ask = (url: string, task: string) => chat(url, hello(`ask ${task}`), { ...as('caller'), 'x-gatehouse-task': task });

  /** Asks until `done` says the change is seen; returns how long after `since` the first such request started. */
  async function seenAfter(since: number, url: string, task: string, done: (res: Awaited<ReturnType<typeof ask>>) => boolean): Promise<number> {
    for (;;) {
      const started = Date.now();
      if (done(await ask(url, task))) return started - since;
      if (started - since > 10_000) assert.fail(`the change never reached ${url}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('a route change through the first process changes routing in the second within 2 s', async () => {
    assert.equal((await ask(bUrl, 'chat')).json.gatehouse.model, 'small');
    const table = (await api(a.url, 'GET', '/admin/routes', as('root'))).json;
    const routes = table.routes.map((r: any) => (r.name === 'chat' ? { ...r, primary: 'large', fallbacks: ['small'] } : r));
    const changed = await api(a.url, 'PUT', '/admin/routes', as('root'), { routes, basedOn: table.version, reason: 'move chat to large' });
    const t0 = Date.now();
    assert.equal(changed.status, 200, JSON.stringify(changed.json));
    const ms = await seenAfter(t0, bUrl, 'chat', (res) => res.json.gatehouse?.model === 'large');
    assert.ok(ms <= WITHIN_MS, `seen after ${ms} ms`);
    const res = await ask(bUrl, 'chat');
    assert.equal(res.json.gatehouse.route_table_version, changed.json.version, 'the other process records the version that decided');
    const back = await api(bUrl, 'POST', '/admin/routes/rollback', as('ops2'), { version: table.version, reason: 'done testing' });
    assert.equal(back.status, 200, JSON.stringify(back.json));
    assert.ok((await seenAfter(Date.now(), a.url, 'chat', (r) => r.json.gatehouse?.model === 'small')) <= WITHIN_MS, 'and back, the other way');
  });

  it('kill switch from the CLI against the second process: the first stops using the model within 2 s; enable reverses it', async () => {
    const lines: string[] = [];
    const cli = (args: string[]) => runRoutesCommand(args, { GATEHOUSE_URL: bUrl, GATEHOUSE_KEY: RELEASE_KEYS.root }, (l) => lines.push(l), (l) => lines.push(l));
    assert.equal((await ask(a.url, 'chat')).json.gatehouse.model, 'small');
    assert.equal(await cli(['disable', 'small', '--reason', 'incident 99: garbage answers']), 0, lines.join('\n'));
    const t0 = Date.now();
    assert.match(lines.join('\n'), /model small disabled/);
    const ms = await seenAfter(t0, a.url, 'chat', (res) => res.json.gatehouse?.model === 'large');
    assert.ok(ms <= WITHIN_MS, `seen after ${ms} ms`);
    const res = await ask(a.url, 'chat');
    assert.match(res.json.gatehouse.explanation, /small: disabled \(kill switch\)/);

    assert.equal(await cli(['enable', 'small', '--reason', 'fixed upstream']), 0, lines.join('\n'));
    const t1 = Date.now();
    assert.ok((await seenAfter(t1, a.url, 'chat', (r) => r.json.gatehouse?.model === 'small')) <= WITHIN_MS);
    assert.equal(await cli(['history']), 0);
    assert.match(lines.join('\n'), /enable\s+model small\s+.*fixed upstream/);
  });

  it('a protected change proposed in one process, approved in the other, is live in the first within 2 s', async () => {
    const table = (await api(a.url, 'GET', '/admin/routes', as('root'))).json;
    const routes = table.routes.map((r: any) => (r.name === 'summarize' ? { ...r, primary: 'small', fallbacks: ['large'] } : r));
    const proposed = await api(a.url, 'PUT', '/admin/routes', as('root'), { routes, basedOn: table.version, reason: 'summaries on small' });
    assert.equal(proposed.status, 202, JSON.stringify(proposed.json));
    const pending = (await api(bUrl, 'GET', '/admin/routes', as('ops2'))).json.pending;
    assert.deepEqual(pending.map((p: any) => p.id), [proposed.json.pending_id], 'the other process sees the pending change');
    const approved = await api(bUrl, 'POST', `/admin/routes/changes/${proposed.json.pending_id}/approve`, as('ops2'), { comment: 'ok' });
    const t0 = Date.now();
    assert.equal(approved.status, 200, JSON.stringify(approved.json));
    const ms = await seenAfter(t0, a.url, 'summarize', (res) => res.json.gatehouse?.model === 'small');
    assert.ok(ms <= WITHIN_MS, `seen after ${ms} ms`);
    const back = await api(a.url, 'POST', '/admin/routes/rollback', as('root'), { version: table.version, reason: 'done testing' });
    assert.equal(back.status, 200, JSON.stringify(back.json));
  });

  it('a disabled route fails with 503 route_disabled in the other process', async () => {
    const off = await api(a.url, 'POST', '/admin/routes/disable', as('root'), { target: 'summarize', kind: 'route', reason: 'provider outage' });
    assert.equal(off.status, 200, JSON.stringify(off.json));
    const t0 = Date.now();
    const ms = await seenAfter(t0, bUrl, 'summarize', (res) => res.status === 503);
    assert.ok(ms <= WITHIN_MS, `seen after ${ms} ms`);
    const res = await ask(bUrl, 'summarize');
    assert.equal(res.json.error.code, 'route_disabled');
    assert.match(res.json.error.message, /provider outage/);
    await api(a.url, 'POST', '/admin/routes/enable', as('root'), { target: 'summarize', reason: 'outage over' });
  });
});
