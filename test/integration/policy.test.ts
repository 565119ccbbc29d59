import { GatehouseSearch } from '../../src/temporal/searchAttributes';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashApiKey } from '../../src/auth';
import { GatehouseClient, GatewayError } from '../../src';
import { auth, chat, hello, startTestGateway, type TestGateway } from '../helpers/gateway';

const key = (name: string) => `test-key-${name}-0123456789abcdef`;
const caller = (name: string, team: string, tasks: string[]) => ({ team, roles: ['caller'], tasks, keyHash: hashApiKey(key(name)) });
const CARD = '4111 1111 1111 1111';

/** One route per policy action, and one caller per limit so the tests do not share counters. */
const config = (mockUrl: string) => ({
  providers: { mock: { kind: 'openai-compatible', baseUrl: mockUrl } },
  models: {
    small: { provider: 'mock', upstream: 'mock-small' },
    big: { provider: 'mock', upstream: 'mock-large', dataClasses: ['public', 'internal', 'confidential', 'restricted'] },
    vault: { provider: 'mock', upstream: 'mock-vault', private: true, dataClasses: ['public', 'internal', 'confidential', 'restricted'] },
    priced: { provider: 'mock', upstream: 'mock-priced', price: { inputPerMTok: 100, outputPerMTok: 100 } },
  },
  callers: {
    alice: caller('alice', 'web', ['chat', 'guarded', 'scrubbed', 'private', 'small', 'budgeted']),
    rl: caller('rl', 'rl-team', ['chat']),
    loop: caller('loop', 'loop-team', ['chat']),
    spender: caller('spender', 'money', ['budgeted']),
    crowd: caller('crowd', 'crowd-team', ['budgeted']),
  },
  routes: [
    { name: 'chat-high', match: { task: 'chat', risk: ['high'] }, primary: 'big' },
    { name: 'chat', match: { task: 'chat' }, primary: 'small', fallbacks: ['big'] },
    { name: 'guarded', match: { task: 'guarded' }, primary: 'big', sensitivity: { action: 'block' } },
    { name: 'scrubbed', match: { task: 'scrubbed' }, primary: 'small', sensitivity: { action: 'redact' } },
    { name: 'private', match: { task: 'private' }, primary: 'big', fallbacks: ['vault'], sensitivity: { action: 'private' } },
    { name: 'small', match: { task: 'small' }, primary: 'small', maxInputTokens: 30, largerRoute: 'chat' },
    { name: 'budgeted', match: { task: 'budgeted' }, primary: 'priced' },
  ],
  limits: {
    callers: { rl: { rpm: 3 } },
    callerBudgets: { spender: { dailyUsd: 0.05 } },
    teams: { 'crowd-team': { budget: { dailyUsd: 0.1 } } },
    loop: { maxRepeats: 2, windowSeconds: 60 },
  },
});

describe('policy, routing and limits through the HTTP front door', () => {
  let gw: TestGateway;
  const ask = (who: string, task: string, content: string, extra: Record<string, string> = {}, body: object = {}) =>
    chat(gw.url, { ...hello(content), ...body }, { ...auth(key(who)), 'x-gatehouse-task': task, ...extra });
  before(async () => {
    gw = await startTestGateway({ config });
  });
  after(() => gw?.close());

  it('records the plan explanation, risk, data class and cost in the response and the ledger', async () => {
    const res = await ask('alice', 'chat', 'plain question one');
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.gatehouse.explanation, 'task=chat risk=low sensitivity=internal latency=realtime → route chat: small; fallback big');
    const row = (await gw.ledger.get(res.json.gatehouse.request_id))!;
    assert.equal(row.explanation, res.json.gatehouse.explanation);
    assert.equal(row.risk, 'low');
    assert.equal(row.data_class, 'internal');
  });

  it('a declared high risk takes the high-risk route', async () => {
    const res = await ask('alice', 'chat', 'risky question', { 'x-gatehouse-risk': 'high' });
    assert.equal(res.json.gatehouse.route, 'chat-high');
    assert.equal(res.json.gatehouse.risk, 'high');
  });

  it('block: 403 sensitive_data_blocked naming the kinds, never the values, and nothing sent', async () => {
    const before = gw.mock.calls('mock-large');
    const res = await ask('alice', 'guarded', `my card is ${CARD}`);
    assert.equal(res.status, 403);
    assert.equal(res.json.error.code, 'sensitive_data_blocked');
    assert.match(res.json.error.message, /payment_card/);
    assert.ok(!JSON.stringify(res.json).includes('4111'));
    assert.equal(gw.mock.calls('mock-large'), before);
    const row = (await gw.ledger.get(res.headers.get('x-gatehouse-request-id')!));
    assert.equal(row?.status, 'denied');
    // Refused inside admission, yet attributed: who, which task, which route.
    assert.deepEqual([row?.caller, row?.team, row?.task, row?.route], ['alice', 'web', 'guarded', 'guarded']);
  });

  it('a refusal inside admission is attributed in the ledger and the search attributes; an unaccepted task is not recorded', async () => {
    const res = await ask('spender', 'chat', 'not my task');
    assert.equal(res.status, 403);
    const id = res.headers.get('x-gatehouse-request-id')!;
    const row = (await gw.ledger.get(id));
    assert.deepEqual([row?.status, row?.caller, row?.team, row?.task, row?.route], ['denied', 'spender', 'money', null, null]);
    const attrs = (await gw.client.workflow.getHandle(id).describe()).typedSearchAttributes;
    assert.equal(attrs.get(GatehouseSearch.caller), 'spender');
    assert.equal(attrs.get(GatehouseSearch.team), 'money');
    assert.equal(attrs.get(GatehouseSearch.status), 'denied');
  });

  it('redact: the provider only ever sees the redacted prompt', async () => {
    const res = await ask('alice', 'scrubbed', `charge ${CARD} today`);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.choices[0].message.content, 'Mock answer to: charge [REDACTED:payment_card] today');
    assert.equal((await gw.ledger.get(res.json.gatehouse.request_id))?.sensitive_kinds, 'payment_card');
  });

  it('private: sensitive data forces the private model', async () => {
    const res = await ask('alice', 'private', `customer ssn 123-45-6789`);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.gatehouse.model, 'vault');
    assert.equal(res.json.gatehouse.data_class, 'restricted');
    assert.match(res.json.gatehouse.explanation, /big: not a private model/);
  });

  it('size: over the route limit goes to its larger route', async () => {
    const res = await ask('alice', 'small', 'word '.repeat(60));
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.gatehouse.route, 'chat');
  });

  it('rate limit: 429 with Retry-After and x-ratelimit headers; headers on success too', async () => {
    const ok = await ask('rl', 'chat', 'rl 1');
    assert.equal(ok.headers.get('x-ratelimit-limit-requests'), '3');
    assert.equal(ok.headers.get('x-ratelimit-remaining-requests'), '2');
    await ask('rl', 'chat', 'rl 2');
    await ask('rl', 'chat', 'rl 3');
    const refused = await ask('rl', 'chat', 'rl 4');
    assert.equal(refused.status, 429);
    assert.equal(refused.json.error.code, 'rate_limit_exceeded');
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    assert.equal(refused.headers.get('x-ratelimit-remaining-requests'), '0');
  });

  it('loop detection: the same prompt over and over is throttled', async () => {
    assert.equal((await ask('loop', 'chat', 'again')).status, 200);
    assert.equal((await ask('loop', 'chat', 'again')).status, 200);
    const third = await ask('loop', 'chat', 'again');
    assert.equal(third.status, 429);
    assert.equal(third.json.error.code, 'loop_detected');
    assert.equal((await ask('loop', 'chat', 'something new')).status, 200);
  });

  it('cost: priced from reported usage and the price override; a hard budget answers 429', async () => {
    const small = { max_tokens: 50 };
    const first = await ask('spender', 'budgeted', 'spend a little', {}, small);
    assert.equal(first.status, 200, JSON.stringify(first.json));
    const usage = first.json.usage;
    const expected = (usage.prompt_tokens * 100 + usage.completion_tokens * 100) / 1e6;
    assert.ok(Math.abs(first.json.gatehouse.cost_usd - expected) < 1e-9, `${first.json.gatehouse.cost_usd} vs ${expected}`);
    assert.ok(Math.abs(((await gw.ledger.get(first.json.gatehouse.request_id))?.cost_usd ?? 0) - expected) < 1e-9);
    let refused;
    for (let i = 0; i < 80 && !refused; i++) { // served while a minimal answer fits (the last ones capped)
      const r = await ask('spender', 'budgeted', `spend more ${i}`, {}, small);
      if (r.status === 429) refused = r;
    }
    assert.ok(refused, 'the budget must stop the spending');
    assert.equal(refused.json.error.code, 'budget_exceeded');
    const row = (await gw.ledger.get(refused.headers.get('x-gatehouse-request-id')!));
    assert.deepEqual([row?.caller, row?.team, row?.task, row?.route], ['spender', 'money', 'budgeted', 'budgeted']);
  });

  it('20 parallel calls never overshoot a hard team budget by more than one estimate', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => ask('crowd', 'budgeted', `parallel spend ${i}`, {}, { max_tokens: 500 })));
    const ok = results.filter((r) => r.status === 200);
    assert.ok(results.every((r) => r.status === 200 || r.json.error?.code === 'budget_exceeded'), JSON.stringify(results.map((r) => r.status)));
    const spent = ok.reduce((s, r) => s + r.json.gatehouse.cost_usd, 0);
    const maxEstimate = ((500 + 30) * 100) / 1e6; // max_tokens + prompt at $100/MTok
    assert.ok(ok.length >= 1 && ok.length < 20, `${ok.length} answered`);
    assert.ok(spent <= 0.1 + maxEstimate, `spent ${spent}`);
  });

  it('limits are shared with the TypeScript client: one code path', async () => {
    // The client seals its key to the workers' public key (here from the shared data dir).
    const client = await GatehouseClient.connect({ apiKey: key('rl'), temporal: { client: gw.client }, taskQueue: gw.taskQueue, env: { GATEHOUSE_DATA_DIR: gw.dir } });
    await assert.rejects(client.request({ body: hello('via client') }), (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.equal(err.status, 429);
      assert.equal(err.code, 'rate_limit_exceeded');
      return true;
    });
  });
});
