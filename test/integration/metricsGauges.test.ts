import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashApiKey } from '../../src/auth';
import { KEYS, auth, chat, hello, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway';
import { waitForAsync } from '../helpers/review';

const ADMIN_KEY = 'test-key-admin-0123456789abcdef0';
const PRICE = { inputPerMTok: 1, outputPerMTok: 10 };

/** A route that holds every answer, one that sends all to its canary, one that shadows all; a daily budget for `support`. */
const config = (mockUrl: string) => {
  const c = testConfig(mockUrl, {
    models: { small: { provider: 'mock', upstream: 'mock-small', price: PRICE }, large: { provider: 'mock', upstream: 'mock-large', price: PRICE } },
    routes: [
      { name: 'held', match: { task: 'held' }, primary: 'small', review: { when: 'always', deadline: '1h' } },
      { name: 'canaried', match: { task: 'canaried' }, primary: 'small', canary: { model: 'large', share: 1 } },
      { name: 'shadowed', match: { task: 'shadowed' }, primary: 'small', shadow: { model: 'large', share: 1 } },
      { name: 'summarize', match: { task: 'summarize' }, primary: 'large' },
    ],
  }) as { callers: Record<string, any> };
  c.callers.support.tasks = ['held', 'canaried', 'shadowed'];
  delete c.callers.support.defaultTask;
  c.callers.root = { team: 'ops', roles: ['admin'], keyHash: hashApiKey(ADMIN_KEY) };
  c.callers.rita = { team: 'qa', roles: ['reviewer'], reviews: ['held'], keyHash: hashApiKey('test-key-rita-0123456789abcdef0') };
  return { ...c, limits: { callerBudgets: { support: { dailyUsd: 1 } }, teams: { data: { budget: { monthlyUsd: 5 } } } } };
};

const value = (page: string, name: string, labels: Record<string, string>) => {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = page.split('\n').find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

describe('GET /metrics on a real gateway: reviews pending, budgets left, canary requests and shadow comparisons', () => {
  let gw: TestGateway;
  const scrape = async () => (await fetch(`${gw.url}/metrics`, { headers: auth(ADMIN_KEY) })).text();
  const ask = (task: string, content: string, extra: Record<string, string> = {}) => chat(gw.url, hello(content), { ...auth(KEYS.support), 'x-gatehouse-task': task, ...extra });

  before(async () => {
    gw = await startTestGateway({ config });
  });
  after(() => gw?.close());

  it('counts requests held for review per route from Temporal visibility, at scrape time', async () => {
    let page = await scrape();
    assert.equal(value(page, 'gatehouse_reviews_pending', { route: 'held' }), 0);
    for (const n of [1, 2]) assert.equal((await ask('held', `hold me ${n}`, { prefer: 'respond-async' })).status, 202);
    await waitForAsync(async () => value((page = await scrape()), 'gatehouse_reviews_pending', { route: 'held' }) === 2, 15_000, 'two held requests on the gauge');
    assert.equal(value(page, 'gatehouse_reviews_pending', { route: 'canaried' }), undefined, 'a route that never holds is not counted');
  });

  it('reads what each configured budget has left from the budget store', async () => {
    const before = value(await scrape(), 'gatehouse_budget_remaining_usd', { scope: 'caller', name: 'support', period: 'day' });
    assert.equal(before !== undefined && before <= 1, true, String(before));
    assert.equal(value(await scrape(), 'gatehouse_budget_remaining_usd', { scope: 'team', name: 'data', period: 'month' }), 5);
    assert.equal((await ask('canaried', 'spend a little')).status, 200);
    const after = value(await scrape(), 'gatehouse_budget_remaining_usd', { scope: 'caller', name: 'support', period: 'day' })!;
    assert.ok(after < before!, `${after} left after a paid answer, ${before} before`);
  });

  it('counts canary requests by model and outcome, and shadow comparisons with their agreement', async () => {
    assert.equal((await ask('canaried', 'to the canary')).status, 200);
    assert.equal((await ask('shadowed', 'shadow me')).status, 200);
    let page = '';
    await waitForAsync(async () => value((page = await scrape()), 'gatehouse_shadow_comparisons_total', { route: 'shadowed', model: 'large', outcome: 'ok' }) === 1, 15_000, 'the shadow pair');
    assert.equal(value(page, 'gatehouse_canary_requests_total', { route: 'canaried', model: 'large', status: 'completed' }), 2);
    assert.equal(value(page, 'gatehouse_shadow_agreement_count', { route: 'shadowed', model: 'large' }), 1);
  });
});
