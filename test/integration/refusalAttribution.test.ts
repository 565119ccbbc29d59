import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { hashApiKey } from '../../src/auth';
import { GatehouseSearch } from '../../src/temporal/searchAttributes';
import { KEYS, auth, chat, hello, send, startTestGateway, testConfig, type Sent, type TestGateway } from '../helpers/gateway';

const key = (name: string) => `test-key-${name}-0123456789abcdef`;
const caller = (team: string, tasks: string[]) => ({ team, roles: ['caller'], tasks });
const CARD = '4111 1111 1111 1111';
const SECRET = 'refusal-prompt-must-stay-out-of-the-ledger-9f3e';
const PRICE = { inputPerMTok: 1, outputPerMTok: 10 };

/** One route per refusal kind; `limits` caps the `metered` route, the `limited` caller and the `spender`'s budget. */
const config = (mockUrl: string) => {
  const c = testConfig(mockUrl, {
    models: { large: { provider: 'mock', upstream: 'mock-large', price: PRICE }, spare: { provider: 'mock', upstream: 'mock-small', price: PRICE } },
    routes: [
      { name: 'chat', match: { task: 'chat' }, primary: 'large' },
      { name: 'summarize', match: { task: 'summarize' }, primary: 'large' },
      { name: 'guarded', match: { task: 'guarded' }, primary: 'large', sensitivity: { action: 'block' } },
      { name: 'metered', match: { task: 'metered' }, primary: 'large' },
      { name: 'sized', match: { task: 'sized' }, primary: 'large', maxRequestBytes: 400 },
      { name: 'switched', match: { task: 'switched' }, primary: 'large' },
      { name: 'unplugged', match: { task: 'unplugged' }, primary: 'spare' },
    ],
  }) as { callers: Record<string, any> };
  c.callers.support.tasks = ['chat', 'guarded', 'metered', 'sized', 'switched', 'unplugged'];
  for (const [name, who] of Object.entries({ root: { team: 'ops', roles: ['admin'] }, limited: caller('throttled', ['chat']), spender: caller('spend', ['chat']), looper: caller('loops', ['chat']) })) {
    c.callers[name] = { ...who, keyHash: hashApiKey(key(name)) };
  }
  return { ...c, limits: { callers: { limited: { rpm: 1 } }, routes: { metered: { rpm: 1 } }, callerBudgets: { spender: { dailyUsd: 0.0000001 } }, loop: { maxRepeats: 1, windowSeconds: 600 } } };
};

const series = (page: string, name: string, labels: Record<string, string>) => {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = page.split('\n').find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

/** A refusal made inside the request workflow, and whom it must name. */
interface Expected {
  kind: string;
  res: Sent;
  status: number;
  code: string;
  who: { caller: string; team: string; task: string | null; route: string | null };
  ledgerStatus: string;
}

describe('every refusal is attributed: ledger row, search attributes, metrics and log name caller, team, task, route and code', () => {
  let gw: TestGateway;
  const logLines: string[] = [];
  const refused: Expected[] = [];
  let frontDoor: { limited: Sent; tooLarge: Sent; badKey: Sent };
  let page = '';
  const ask = (who: string, task: string, content: string, extra: object = {}) =>
    chat(gw.url, { ...hello(content), ...extra }, { ...auth(who === 'support' ? KEYS.support : key(who)), 'x-gatehouse-task': task });
  const expect = (kind: string, res: Sent, status: number, code: string, who: Expected['who'], ledgerStatus = 'failed') =>
    refused.push({ kind, res, status, code, who, ledgerStatus });

  before(async () => {
    gw = await startTestGateway({ config, env: { GATEHOUSE_BODY_LIMIT: '4096' }, logger: pino({ level: 'info' }, { write: (l: string) => void logLines.push(l) }) });
    const support = { caller: 'support', team: 'support' };
    expect('policy block', await ask('support', 'guarded', `${SECRET} card ${CARD}`), 403, 'sensitive_data_blocked', { ...support, task: 'guarded', route: 'guarded' }, 'denied');
    expect('task not allowed', await ask('support', 'summarize', `${SECRET} a`), 403, 'task_not_allowed', { ...support, task: null, route: null }, 'denied');
    assert.equal((await ask('support', 'metered', `${SECRET} first`)).status, 200);
    expect('rate limit (route)', await ask('support', 'metered', `${SECRET} second`), 429, 'rate_limit_exceeded', { ...support, task: 'metered', route: 'metered' });
    expect('budget', await ask('spender', 'chat', `${SECRET} b`), 429, 'budget_exceeded', { caller: 'spender', team: 'spend', task: 'chat', route: 'chat' });
    assert.equal((await ask('looper', 'chat', `${SECRET} again`)).status, 200);
    expect('loop', await ask('looper', 'chat', `${SECRET} again`), 429, 'loop_detected', { caller: 'looper', team: 'loops', task: 'chat', route: 'chat' });
    expect('too large for the route', await ask('support', 'sized', `${SECRET} ${'x'.repeat(1000)}`), 413, 'request_too_large', { ...support, task: 'sized', route: 'sized' });
    const off = await send(gw.url, '/admin/routes/disable', JSON.stringify({ target: 'switched', kind: 'route', reason: 'incident 15' }), { 'content-type': 'application/json', ...auth(key('root')) });
    assert.equal(off.status, 200, JSON.stringify(off.json));
    expect('kill switch (route)', await ask('support', 'switched', `${SECRET} c`), 503, 'route_disabled', { ...support, task: 'switched', route: 'switched' });
    const modelOff = await send(gw.url, '/admin/routes/disable', JSON.stringify({ target: 'spare', kind: 'model', reason: 'incident 15b' }), { 'content-type': 'application/json', ...auth(key('root')) });
    assert.equal(modelOff.status, 200, JSON.stringify(modelOff.json));
    expect('kill switch (every model of the route)', await ask('support', 'unplugged', `${SECRET} d`), 503, 'route_disabled', { ...support, task: 'unplugged', route: 'unplugged' });
    assert.equal((await ask('limited', 'chat', `${SECRET} one`)).status, 200);
    frontDoor = {
      limited: await ask('limited', 'chat', `${SECRET} two`),
      tooLarge: await ask('support', 'chat', `${SECRET} ${'y'.repeat(6000)}`),
      badKey: await chat(gw.url, hello(SECRET), auth('sk-not-a-gatehouse-key-0000')),
    };
    page = await (await fetch(`${gw.url}/metrics`, { headers: auth(key('root')) })).text();
  });
  after(() => gw?.close());

  it('each kind is refused with its own status and code, and the workflow-made ones carry a request id', () => {
    for (const r of refused) {
      assert.equal(r.res.status, r.status, `${r.kind}: ${JSON.stringify(r.res.json)}`);
      assert.equal(r.res.json.error.code, r.code, r.kind);
      assert.match(r.res.headers.get('x-gatehouse-request-id') ?? '', /^req-/, r.kind);
    }
    assert.deepEqual([frontDoor.limited.status, frontDoor.tooLarge.status, frontDoor.badKey.status], [429, 413, 401]);
    assert.deepEqual([frontDoor.limited.json.error.code, frontDoor.tooLarge.json.error.code, frontDoor.badKey.json.error.code], ['rate_limit_exceeded', 'request_too_large', 'invalid_api_key']);
  });

  it('the ledger row names caller, team, task, route (when one was chosen) and the code', async () => {
    for (const r of refused) {
      const row = await gw.ledger.get(r.res.headers.get('x-gatehouse-request-id')!);
      assert.ok(row, r.kind);
      assert.deepEqual({ caller: row.caller, team: row.team, task: row.task, route: row.route, code: row.error_code, status: row.status }, { ...r.who, code: r.code, status: r.ledgerStatus }, r.kind);
    }
    const blocked = await gw.ledger.get(refused[0]!.res.headers.get('x-gatehouse-request-id')!);
    assert.equal(blocked?.sensitive_kinds, 'payment_card', 'the kinds found, never the values');
  });

  it('the search attributes name them too, and the code (GatehouseCode)', async () => {
    for (const r of refused) {
      const d = await gw.client.workflow.getHandle(r.res.headers.get('x-gatehouse-request-id')!).describe();
      const sa = d.typedSearchAttributes;
      const got = { caller: sa.get(GatehouseSearch.caller), team: sa.get(GatehouseSearch.team), task: sa.get(GatehouseSearch.task) ?? null, route: sa.get(GatehouseSearch.route) ?? null };
      assert.deepEqual(got, r.who, r.kind);
      assert.equal(sa.get(GatehouseSearch.status), r.ledgerStatus, r.kind);
      assert.equal(sa.get(GatehouseSearch.code), r.code, r.kind);
    }
  });

  it('the metrics count each by who and why: limits apart, blocks by reason, detections by action', () => {
    const none = (v: string | null) => v ?? 'none';
    for (const r of refused) {
      const name = ['rate_limit_exceeded', 'budget_exceeded', 'loop_detected'].includes(r.code) ? 'gatehouse_limit_rejections_total' : 'gatehouse_policy_blocks_total';
      const labels = { caller: r.who.caller, team: r.who.team, task: none(r.who.task), route: none(r.who.route), code: r.code };
      assert.equal(series(page, name, labels), 1, `${r.kind}: ${name} ${JSON.stringify(labels)}\n${page.split('\n').filter((l) => l.startsWith(name)).join('\n')}`);
    }
    assert.equal(series(page, 'gatehouse_sensitive_detections_total', { route: 'guarded', kind: 'payment_card', action: 'blocked', status: 'denied' }), 1);
    const atDoor = { task: 'none', route: 'none' };
    assert.equal(series(page, 'gatehouse_limit_rejections_total', { caller: 'limited', team: 'throttled', ...atDoor, code: 'rate_limit_exceeded' }), 1);
    assert.equal(series(page, 'gatehouse_policy_blocks_total', { caller: 'support', team: 'support', ...atDoor, code: 'request_too_large' }), 1);
    assert.equal(series(page, 'gatehouse_policy_blocks_total', { caller: 'none', team: 'none', ...atDoor, code: 'invalid_api_key' }), 1, 'could not authenticate: said so');
  });

  it('one log line per refusal names them, and the front door\'s refusals are counted in the ledger by caller', async () => {
    const logged = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const r of refused) {
      const id = r.res.headers.get('x-gatehouse-request-id');
      const lines = logged.filter((l) => l.msg === 'request refused' && l.requestId === id);
      assert.equal(lines.length, 1, r.kind);
      assert.deepEqual({ caller: lines[0]!.caller, team: lines[0]!.team, task: lines[0]!.task, route: lines[0]!.route, code: lines[0]!.code }, { ...r.who, code: r.code }, r.kind);
    }
    const door = logged.filter((l) => l.msg === 'refused at the front door');
    assert.ok(door.some((l) => l.caller === 'limited' && l.team === 'throttled' && l.code === 'rate_limit_exceeded'));
    assert.ok(door.some((l) => l.caller === 'support' && l.team === 'support' && l.code === 'request_too_large' && l.status === 413));
    assert.ok(door.some((l) => l.caller === null && l.code === 'invalid_api_key'));
    const all = await gw.ledger.refusals();
    const counted = (code: string) => all.filter((r) => r.code === code).map((r) => [r.caller, r.team, Number(r.count)]);
    assert.deepEqual(counted('rate_limit_exceeded'), [['limited', 'throttled', 1]]);
    assert.deepEqual(counted('request_too_large'), [['support', 'support', 1]], 'the route-size refusal is in the requests table, not counted twice');
    assert.ok(!logLines.some((l) => l.includes(SECRET) || l.includes('4111')), 'no prompt text in the log');
  });

  it('no refused request\'s content reaches the ledger (the database and its WAL, byte for byte)', () => {
    const files = [join(gw.dir, 'ledger.db'), join(gw.dir, 'ledger.db-wal')].filter(existsSync);
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const secret of [SECRET, CARD, CARD.replace(/ /g, ''), 'x'.repeat(200)]) assert.equal(bytes.includes(secret), false, `${f} holds ${secret.slice(0, 30)}`);
    }
  });
});
