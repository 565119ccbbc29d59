import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashApiKey } from '../../src/auth';
import { chat, hello, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway';
import { localActivityTypes } from '../helpers/history';
import { REVIEWER_KEYS, api, asReviewer, asSupport, finalView } from '../helpers/review';
import { startScriptedProvider, type ScriptedProvider } from '../helpers/scriptedProvider';

const CARD = '4111 1111 1111 1111';
const ANSWER_SCHEMA = { type: 'object', required: ['answer'], properties: { answer: { type: 'string' } } };

/** Scripted answers: `bad` is never JSON, `good` always is, `repairable` is fixed by the repair prompt, `leaky` leaks a card number. */
function script(model: string, messages: Array<{ role: string; content?: unknown }>): string {
  if (model === 'good') return '{"answer":"ok"}';
  if (model === 'leaky') return `Sure, the card on file is ${CARD}.`;
  if (model === 'repairable') {
    const last = messages.at(-1);
    return last?.role === 'system' && String(last.content).includes('failed validation') ? '{"answer":"fixed"}' : 'oops, prose';
  }
  return 'not json at all';
}

function config(mockUrl: string, scriptedUrl: string) {
  const c: any = testConfig(mockUrl);
  c.providers.scripted = { kind: 'openai-compatible', baseUrl: scriptedUrl };
  Object.assign(c.models, {
    bad: { provider: 'scripted', upstream: 'bad' },
    good: { provider: 'scripted', upstream: 'good' },
    repairable: { provider: 'scripted', upstream: 'repairable' },
    leaky: { provider: 'scripted', upstream: 'leaky' },
  });
  const route = (name: string, primary: string, extra: Record<string, unknown>) => ({ name, match: { task: name }, primary, timeout: '5s', retries: 0, ...extra });
  const jsonAnswer = { fields: { answer: 'string' } };
  c.routes.push(
    route('short', 'small', { validation: { maxChars: 10 } }),
    route('json-retry', 'repairable', { validation: { jsonSchema: ANSWER_SCHEMA, onFailure: 'retry' } }),
    route('json-fallback', 'bad', { fallbacks: ['good'], validation: { ...jsonAnswer, onFailure: 'fallback' } }),
    route('json-review', 'bad', { validation: { ...jsonAnswer, onFailure: 'review' }, review: { when: 'on_validation_failure' } }),
    route('secrets', 'leaky', { review: { when: ['on_sensitive_output'] } }),
    route('no-secrets', 'leaky', { validation: { sensitiveOutput: 'block' } }),
  );
  c.callers.support.tasks = ['chat', 'summarize', 'short', 'json-retry', 'json-fallback', 'json-review', 'secrets', 'no-secrets'];
  c.callers.alice = { team: 'legal', roles: ['reviewer'], reviews: ['json-review', 'secrets'], keyHash: hashApiKey(REVIEWER_KEYS.alice) };
  return c;
}

describe('output validation (real dev server)', () => {
  let gw: TestGateway;
  let scripted: ScriptedProvider;
  const ask = (task: string, body: unknown = hello('Hello')) => chat(gw.url, body, { ...asSupport, 'x-gatehouse-task': task });

  before(async () => {
    scripted = await startScriptedProvider(script);
    gw = await startTestGateway({ config: (u) => config(u, scripted.url) });
  });
  after(async () => {
    await gw?.close();
    await scripted?.close();
  });

  it('honours the request response_format json_schema: 422 lists the failed check, never the answer', async () => {
    const format = (type: string) => ({ type: 'json_schema', json_schema: { name: 'a', schema: { ...ANSWER_SCHEMA, properties: { answer: { type } } } } });
    const bad = await ask('chat', { ...hello('[[json]] give me json'), response_format: format('number') });
    assert.equal(bad.status, 422, JSON.stringify(bad.json));
    assert.equal(bad.json.error.code, 'output_validation_failed');
    assert.match(bad.json.error.message, /json_schema \(response_format: \/answer must be number\)/);
    assert.deepEqual(bad.json.gatehouse.failed_checks.map((c: { check: string }) => c.check), ['json_schema']);
    assert.ok(!JSON.stringify(bad.json).includes('"answer":"mock"'), 'the raw answer never leaves');
    const good = await ask('chat', { ...hello('[[json]] give me json'), response_format: format('string') });
    assert.equal(good.status, 200, JSON.stringify(good.json));
    assert.equal(good.json.gatehouse.attempts[0].validation.ok, true);
  });

  it('onFailure fail (the default): 422, and the outcome is in the ledger', async () => {
    const res = await ask('short');
    assert.equal(res.status, 422);
    assert.match(res.json.error.message, /max_chars \(answer is \d+ characters, limit is 10\)/);
    const row = (await gw.ledger.get(res.headers.get('x-gatehouse-request-id')!));
    assert.deepEqual([row?.status, row?.error_code], ['failed', 'output_validation_failed']);
    assert.deepEqual(JSON.parse(row?.validation ?? '[]'), [{ model: 'small', ok: false, summary: 'failed 1 of 1 check(s): max_chars (answer is 21 characters, limit is 10)', failed: ['max_chars'] }]);
  });

  it('onFailure retry: once more with a repair instruction (a system message naming the checks, not the answer)', async () => {
    const before = scripted.requests.length;
    const res = await ask('json-retry');
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.choices[0].message.content, '{"answer":"fixed"}');
    assert.deepEqual(res.json.gatehouse.attempts.map((a: { validation: { ok: boolean } }) => a.validation.ok), [false, true]);
    const retry = scripted.requests[before + 1]!;
    const repair = retry.messages.at(-1)!;
    assert.equal(repair.role, 'system');
    assert.match(String(repair.content), /failed validation: .*json_parse/);
    assert.ok(!String(repair.content).includes('oops'));
    const requestId = res.headers.get('x-gatehouse-request-id')!;
    assert.equal((await gw.ledger.get(requestId))?.status, 'completed');
    // A checked answer is recorded by its own ledger step, after the check that passed.
    const steps = await localActivityTypes(gw.client, requestId);
    assert.deepEqual(steps.filter((t) => t !== 'callProvider'), ['prepareRequest', 'checkAnswer', 'checkAnswer', 'recordOutcome']);
  });

  it('onFailure fallback: the next model answers, the invalid one is listed as a fallback', async () => {
    const res = await ask('json-fallback');
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.gatehouse.model, 'good');
    assert.deepEqual(res.json.gatehouse.fallbacks, ['bad']);
    assert.equal(res.json.gatehouse.attempts[0].error, 'OutputValidationFailed');
  });

  it('onFailure review: held with the findings; the reviewer may still approve the answer', async () => {
    const res = await ask('json-review');
    assert.equal(res.status, 202, JSON.stringify(res.json));
    const shown = await api(gw.url, 'GET', `/admin/reviews/${res.json.id}`, asReviewer('alice'));
    assert.deepEqual(shown.json.review.reasons, ['validation_failed']);
    assert.match(shown.json.validation.summary, /json_parse/);
    assert.equal(shown.json.content, 'not json at all');
    await api(gw.url, 'POST', `/admin/reviews/${res.json.id}/approve`, asReviewer('alice'), { comment: 'prose is fine here' });
    const view = await finalView(gw.url, res.json.id);
    assert.equal(view.result.choices[0].message.content, 'not json at all');
    assert.match((await gw.ledger.get(res.json.id))?.validation ?? '', /"ok":false/);
  });

  it('sensitive output: held for review on one route, blocked (422, nothing echoed) on another', async () => {
    const held = await ask('secrets', hello('what card do I have on file?'));
    assert.equal(held.status, 202, JSON.stringify(held.json));
    const shown = await api(gw.url, 'GET', `/admin/reviews/${held.json.id}`, asReviewer('alice'));
    assert.match(shown.json.review.reasons.join(), /^sensitive_output: /);
    await api(gw.url, 'POST', `/admin/reviews/${held.json.id}/reject`, asReviewer('alice'), { reason: 'contains a card number' });
    assert.equal((await finalView(gw.url, held.json.id)).error.code, 'review_rejected');

    const blocked = await ask('no-secrets', hello('what card do I have on file?'));
    assert.equal(blocked.status, 422);
    assert.match(blocked.json.error.message, /sensitive_output/);
    assert.ok(!JSON.stringify(blocked.json).includes('4111'), 'the card number never leaves');
  });
});
