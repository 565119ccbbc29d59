import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashApiKey } from '../../src/auth';
import { auth, chat, hello, startTestGateway, type TestGateway } from '../helpers/gateway';

const key = (name: string) => `test-key-${name}-0123456789abcdef`;
const caller = (name: string) => ({ team: `${name}-team`, roles: ['caller'], tasks: ['chat'], keyHash: hashApiKey(key(name)) });
/** $1 per 1M prompt tokens, $10 per 1M answer tokens. */
const PRICE = { inputPerMTok: 1, outputPerMTok: 10 };
const costOf = (u: { prompt_tokens: number; completion_tokens: number }) => (u.prompt_tokens * PRICE.inputPerMTok + u.completion_tokens * PRICE.outputPerMTok) / 1e6;

/** The case: the model answers with 20,000 tokens ($0.20) while the estimate assumes ~1,000 ($0.01). */
const config = (mockUrl: string) => ({
  providers: { mock: { kind: 'openai-compatible', baseUrl: mockUrl } },
  models: { wordy: { provider: 'mock', upstream: 'mock-wordy+answer-tokens=20000', price: PRICE } },
  callers: { lavish: caller('lavish'), greedy: caller('greedy'), streamer: caller('streamer') },
  routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'wordy', timeout: '10s' }],
  limits: { callerBudgets: { lavish: { dailyUsd: 0.05 }, greedy: { dailyUsd: 0.005 }, streamer: { dailyUsd: 0.05 } } },
});

describe('budgets cap the answer: an answer longer than estimated cannot spend past the budget', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ config });
  });
  after(() => gw?.close());

  it('without max_tokens: every answer is capped, the last one to what is left, then 429; spend stays within $0.05', async () => {
    const answers = [];
    let refused;
    for (let i = 0; i < 20 && !refused; i++) {
      const r = await chat(gw.url, hello(`long answer please ${i}`), { ...auth(key('lavish')), 'x-gatehouse-task': 'chat' });
      if (r.status === 429) refused = r;
      else answers.push(r);
    }
    assert.ok(refused, 'the budget must stop the spending');
    assert.equal(refused.json.error.code, 'budget_exceeded');
    for (const a of answers) {
      assert.equal(a.status, 200, JSON.stringify(a.json));
      assert.equal(a.json.choices[0].finish_reason, 'length', 'the provider was asked for less than it would say');
      assert.ok(a.json.usage.completion_tokens <= 1024, `${a.json.usage.completion_tokens} answer tokens`);
      assert.ok(Math.abs(a.json.gatehouse.cost_usd - costOf(a.json.usage)) < 1e-12);
    }
    const last = answers.at(-1)!;
    assert.ok(last.json.usage.completion_tokens < 1024, 'the last answer was cut to the budget left');
    assert.match(last.json.gatehouse.explanation, /answer capped at \d+ tokens by the budget/);
    const spent = answers.reduce((s, a) => s + a.json.gatehouse.cost_usd, 0);
    // The mock counts fewer prompt tokens than the gateway's estimate, so the bound is the budget itself.
    assert.ok(spent <= 0.05 + 1e-9, `spent $${spent} of $0.05`);
    assert.ok(spent > 0.045, `the budget was used, not refused early: $${spent}`);
    assert.equal(gw.mock.calls('mock-wordy+answer-tokens=20000') >= answers.length, true);
  });

  it('a max_tokens above what the budget allows is lowered to it', async () => {
    const r = await chat(gw.url, { ...hello('tell me everything'), max_tokens: 100_000 }, { ...auth(key('greedy')), 'x-gatehouse-task': 'chat' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.ok(r.json.usage.completion_tokens < 500, `${r.json.usage.completion_tokens} answer tokens for $0.005 at $10/MTok`);
    assert.ok(r.json.gatehouse.cost_usd <= 0.005, `cost $${r.json.gatehouse.cost_usd}`);
    const next = await chat(gw.url, { ...hello('more'), max_tokens: 100_000 }, { ...auth(key('greedy')), 'x-gatehouse-task': 'chat' });
    assert.equal(next.status, 429, 'not even a minimal answer is left');
    assert.equal(next.json.error.code, 'budget_exceeded');
  });

  it('a streamed answer is capped the same way', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth(key('streamer')), 'x-gatehouse-task': 'chat' },
      body: JSON.stringify({ ...hello('stream a long answer'), stream: true }),
    });
    assert.equal(res.status, 200);
    const text = await res.text();
    let content = '';
    for (const line of text.split('\n')) {
      if (!line.startsWith('data: {')) continue;
      content += (JSON.parse(line.slice(6)) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content ?? '';
    }
    assert.ok(content.length > 0 && content.length <= 1024 * 4, `${content.length} characters streamed`);
  });
});
