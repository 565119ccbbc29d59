import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { GatehouseClient, GatewayError } from '../../src';
import { hashApiKey } from '../../src/auth';
import { KEYS, auth, chat, hello, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway';
import { streamChat } from '../helpers/sse';

const THRIFTY_KEY = 'test-key-thrifty-0123456789abcdef';
const FRUGAL_KEY = 'test-key-frugal-0123456789abcdef';
const SAFE = 'We cannot answer this right now; a person will follow up.';

/** Every normal model fails (the mock's fault grammar); each route has its own degraded plan, or none. */
const config = (mockUrl: string) => {
  const c = testConfig(mockUrl) as Record<string, any>;
  Object.assign(c.models, {
    broken: { provider: 'mock', upstream: 'mock-small+status=500' },
    broken2: { provider: 'mock', upstream: 'mock-large+status=503' },
    // A wordy cheap model: without a cap it would say 200 tokens.
    cheap: { provider: 'mock', upstream: 'mock-cheap+answer-tokens=200', price: { inputPerMTok: 0.01, outputPerMTok: 0.01 } },
    dear: { provider: 'mock', upstream: 'mock-dear', price: { inputPerMTok: 1000, outputPerMTok: 1000 } },
    down: { provider: 'mock', upstream: 'mock-down+status=500' },
    down2: { provider: 'mock', upstream: 'mock-down2+status=502' },
    cheapdown: { provider: 'mock', upstream: 'mock-cheapdown+status=500', price: { inputPerMTok: 0.01, outputPerMTok: 0.01 } },
  });
  c.callers.support.tasks = ['chat', 'summarize', 'model', 'fixed', 'plain', 'optin', 'checked', 'fixedchecked'];
  c.callers.frugal = { team: 'frugal', roles: ['caller'], tasks: ['budget-down'], defaultTask: 'budget-down', keyHash: hashApiKey(FRUGAL_KEY) };
  c.callers.thrifty = { team: 'thrifty', roles: ['caller'], tasks: ['budget'], defaultTask: 'budget', keyHash: hashApiKey(THRIFTY_KEY) };
  const failing = { primary: 'broken', fallbacks: ['broken2'], retries: 0, timeout: '5s' };
  c.routes.push(
    { name: 'model', match: { task: 'model' }, ...failing, degraded: { model: 'cheap', maxTokens: 8, when: ['unavailable'] } },
    { name: 'fixed', match: { task: 'fixed' }, ...failing, degraded: { answer: SAFE } },
    { name: 'plain', match: { task: 'plain' }, ...failing },
    { name: 'optin', match: { task: 'optin' }, ...failing, degraded: { answer: SAFE, callerOptIn: true } },
    // Answers must be at most 5 characters: the cheap model's never are, the fixed answer is not either.
    { name: 'checked', match: { task: 'checked' }, primary: 'down', retries: 0, timeout: '5s', validation: { maxChars: 5, onFailure: 'retry' }, degraded: { model: 'cheap', maxTokens: 8, answer: SAFE } },
    { name: 'fixedchecked', match: { task: 'fixedchecked' }, primary: 'down2', retries: 0, timeout: '5s', validation: { maxChars: 5 }, degraded: { answer: SAFE } },
    { name: 'budget', match: { task: 'budget' }, primary: 'dear', retries: 0, timeout: '5s', degraded: { model: 'cheap', maxTokens: 8, when: ['over_budget'] } },
  );
  // $0.001 a day: not one token on `dear` ($0.001 a token), plenty on `cheap`.
  c.routes.push({ name: 'budget-down', match: { task: 'budget-down' }, primary: 'dear', retries: 0, timeout: '5s', degraded: { model: 'cheapdown' } });
  return { ...c, limits: { callerBudgets: { thrifty: { dailyUsd: 0.001 }, frugal: { dailyUsd: 0.001 } } } };
};

/** What a request gets without the degraded plan: the models failed (502), or their breakers are open by now (503). */
function todaysError(res: { status: number; json: any }): void {
  assert.ok([502, 503].includes(res.status), JSON.stringify(res.json));
  assert.ok(['provider_error', 'no_available_model'].includes(res.json.error.code), res.json.error.code);
}

describe('reduced-output mode: the route\'s degraded plan (real dev server, mock faults, budgets)', () => {
  let gw: TestGateway;
  const ask = (task: string, extra: Record<string, string> = {}, content = 'Hello') =>
    chat(gw.url, hello(content), { ...auth(KEYS.support), 'x-gatehouse-task': task, ...extra });
  const ledgerOf = async (res: { headers: Headers }) => (await gw.ledger.get(res.headers.get('x-gatehouse-request-id')!));
  before(async () => {
    gw = await startTestGateway({ config });
  });
  after(() => gw?.close());

  it('every normal model fails: the degraded model answers under its lower cap, marked, and the ledger records it', async () => {
    const res = await ask('model');
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.gatehouse.model, 'cheap');
    assert.equal(res.json.gatehouse.degraded, 'unavailable');
    assert.ok(res.json.usage.completion_tokens <= 8, `${res.json.usage.completion_tokens} answer tokens under a cap of 8`);
    assert.equal(res.json.choices[0].finish_reason, 'length', 'the cheap model was asked for less than it would say');
    assert.deepEqual(res.json.gatehouse.attempts.map((a: any) => [a.model, a.outcome, a.error]), [
      ['broken', 'failed', 'ProviderServerError'],
      ['broken2', 'failed', 'ProviderServerError'],
      ['cheap', 'ok', undefined],
    ]);
    const row = await ledgerOf(res);
    assert.equal(row?.model, 'cheap');
    assert.equal(row?.degraded, 'unavailable');
    assert.equal(row?.status, 'completed');
  });

  it('a route with a fixed answer: that answer as an ordinary completion, free, marked', async () => {
    const res = await ask('fixed');
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.object, 'chat.completion');
    assert.equal(res.json.choices[0].message.content, SAFE);
    assert.equal(res.json.choices[0].finish_reason, 'stop');
    assert.equal(res.json.model, 'gatehouse/degraded');
    assert.deepEqual(res.json.usage, { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
    assert.equal(res.json.gatehouse.cost_usd, 0);
    assert.equal(res.json.gatehouse.degraded, 'unavailable');
    assert.deepEqual(res.json.gatehouse.fallbacks, ['broken', 'broken2']);
    const row = await ledgerOf(res);
    assert.equal(row?.degraded, 'unavailable');
    assert.equal(row?.model, 'gatehouse/degraded');
    assert.equal(row?.cost_usd, 0);
  });

  it('streamed: the fixed answer arrives as chunks and one [DONE]', async () => {
    const r = await streamChat(gw.url, hello(), { ...auth(KEYS.support), 'x-gatehouse-task': 'fixed' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.error, undefined);
    assert.equal(r.text, SAFE);
    assert.ok(r.done);
    assert.equal(r.events.at(-1).choices[0].finish_reason, 'stop');
  });

  it('over budget: the cheaper degraded model answers instead of 429, and the attempts say why', async () => {
    const res = await chat(gw.url, hello(), auth(THRIFTY_KEY));
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.gatehouse.model, 'cheap');
    assert.equal(res.json.gatehouse.degraded, 'over_budget');
    assert.ok(res.json.usage.completion_tokens <= 8);
    const [left, answered] = res.json.gatehouse.attempts;
    assert.deepEqual([left.model, left.error, left.status, left.try], ['dear', 'budget_exceeded', 429, 0]);
    assert.equal(answered.model, 'cheap');
    assert.equal(gw.mock.calls('mock-dear'), 0, 'the dear model was never called');
    assert.match(res.json.gatehouse.explanation, /degraded \(over_budget\): cheap/);
    assert.equal((await ledgerOf(res))?.degraded, 'over_budget');
  });

  it('over budget, and the degraded model fails too (no fixed answer): the error names that failure, the attempts both', async () => {
    const res = await chat(gw.url, hello(), auth(FRUGAL_KEY));
    assert.equal(res.status, 502, JSON.stringify(res.json));
    assert.equal(res.json.error.code, 'provider_error');
    assert.match(res.json.error.message, /First error: cheapdown: /);
    assert.deepEqual(res.json.gatehouse.attempts.map((a: any) => [a.model, a.error]), [['dear', 'budget_exceeded'], ['cheapdown', 'ProviderServerError']]);
  });

  it('a route without a degraded plan: today\'s error', async () => {
    todaysError(await ask('plain'));
  });

  it('breakers open on every normal model: planning takes the degraded plan at once, and the attempts say why', async () => {
    // Each failed request feeds the breakers of `broken` and `broken2`; once open, the planner finds none available.
    let res = await ask('fixed');
    for (let i = 0; i < 10 && res.json.gatehouse?.attempts?.[0]?.try !== 0; i++) res = await ask('fixed');
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const [left, answered] = res.json.gatehouse.attempts;
    assert.deepEqual([left.error, left.status, left.try], ['no_available_model', 503, 0]);
    assert.match(left.message, /circuit open/);
    assert.equal(answered.model, 'gatehouse/degraded');
    assert.equal(res.json.gatehouse.degraded, 'unavailable');
    assert.match(res.json.gatehouse.explanation, /degraded \(unavailable\): fixed answer/);
  });

  it('the caller\'s opt-out is honoured; an opt-in route answers degraded only when asked; a bad value is a 400', async () => {
    const denied = await ask('fixed', { 'x-gatehouse-degraded': 'deny' });
    todaysError(denied);
    assert.equal((await ledgerOf(denied))?.degraded, null);
    todaysError(await ask('optin'));
    const asked = await ask('optin', { 'x-gatehouse-degraded': 'allow' });
    assert.equal(asked.status, 200, JSON.stringify(asked.json));
    assert.equal(asked.json.choices[0].message.content, SAFE);
    // A route without a plan has nothing to allow: the request fails as without the header.
    todaysError(await ask('plain', { 'x-gatehouse-degraded': 'allow' }));
    const bad = await ask('fixed', { 'x-gatehouse-degraded': 'maybe' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.param, 'degraded');
  });

  it('a degraded model answer is still validated: retried with the repair on the degraded model only, then 422', async () => {
    const res = await ask('checked');
    assert.equal(res.status, 422, JSON.stringify(res.json));
    assert.equal(res.json.error.code, 'output_validation_failed');
    const tried = res.json.gatehouse.attempts.map((a: any) => [a.model, a.error]);
    assert.deepEqual(tried, [['down', 'ProviderServerError'], ['cheap', 'OutputValidationFailed'], ['cheap', 'OutputValidationFailed']]);
    assert.equal(gw.mock.calls('mock-down+status=500'), 1, 'the repair retry did not go back to the failed normal model');
  });

  it('the fixed answer is the route\'s own text: not validated', async () => {
    const res = await ask('fixedchecked');
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.choices[0].message.content, SAFE);
    assert.equal(res.json.gatehouse.attempts.at(-1).validation, undefined);
  });

  it('streamed: the degraded model streams its capped answer live', async () => {
    const r = await streamChat(gw.url, hello(), { ...auth(KEYS.support), 'x-gatehouse-task': 'model' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.error, undefined);
    assert.ok(r.done && r.text.length > 0);
    assert.equal(r.headers.get('x-gatehouse-model') ?? r.events.at(-1).model, 'cheap');
  });

  it('the TypeScript client passes the caller\'s say like the header', async () => {
    const client = await GatehouseClient.connect({ apiKey: KEYS.support, temporal: { address: gw.temporalAddress }, taskQueue: gw.taskQueue, env: { ...gw.env, GATEHOUSE_DATA_DIR: gw.dir } });
    try {
      const res = await client.request({ body: hello(), task: 'fixed' });
      assert.equal(res.gatehouse.degraded, 'unavailable');
      await assert.rejects(client.request({ body: hello(), task: 'fixed', degraded: 'deny' }), (err) => err instanceof GatewayError && err.status >= 500);
    } finally {
      await client.close();
    }
  });

  it('/v1/messages gets the degraded answer in Anthropic\'s shape (the SDK reads it)', async () => {
    const client = new Anthropic({ baseURL: gw.url, apiKey: KEYS.support, maxRetries: 0 });
    const msg = await client.messages.create(
      { model: 'auto', max_tokens: 100, messages: [{ role: 'user', content: 'Hello' }] },
      { headers: { 'x-gatehouse-task': 'fixed' } },
    );
    assert.equal(msg.type, 'message');
    assert.equal(msg.stop_reason, 'end_turn');
    assert.deepEqual(msg.content.map((b) => (b.type === 'text' ? b.text : b.type)), [SAFE]);
    assert.equal((msg as unknown as { gatehouse: { degraded: string } }).gatehouse.degraded, 'unavailable');
    // Streamed: the same answer as Anthropic's events.
    const streamed = await client.messages
      .stream({ model: 'auto', max_tokens: 100, messages: [{ role: 'user', content: 'Hello' }] }, { headers: { 'x-gatehouse-task': 'fixed' } })
      .finalMessage();
    assert.deepEqual(streamed.content.map((b) => (b.type === 'text' ? b.text : b.type)), [SAFE]);
    assert.equal(streamed.stop_reason, 'end_turn');
  });
});
