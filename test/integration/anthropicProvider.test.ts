import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { priceFor } from '../../src/cost';
import { auth, chat, hello, KEYS, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway';
import { startReplayServer, type ReplayServer } from '../helpers/replay';
import { streamChat } from '../helpers/sse';

/**
 * An Anthropic model behind `/v1/chat/completions`: the whole workflow path (activity, history,
 * ledger, cost) with the native adapter, its SDK pointed at Anthropic's documented shapes replayed
 * on 127.0.0.1. Cache reads and writes are priced at Anthropic's cache rates.
 */
const MODEL = 'claude-haiku-4-5';
const ev = (data: { type: string } & Record<string, unknown>) => ({ frame: `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n` });
const usage = { input_tokens: 200, output_tokens: 50, cache_read_input_tokens: 600, cache_creation_input_tokens: 200 };

describe('an Anthropic provider through the gateway', () => {
  let api: ReplayServer;
  let gw: TestGateway;
  before(async () => {
    api = await startReplayServer();
    gw = await startTestGateway({
      env: { ANTHROPIC_TEST_KEY: 'sk-ant-it' },
      config: (mockUrl) =>
        testConfig(mockUrl, {
          providers: { mock: { kind: 'openai-compatible', baseUrl: mockUrl }, claude: { kind: 'anthropic', baseUrl: api.url, apiKeyEnv: 'ANTHROPIC_TEST_KEY' } },
          models: { haiku: { provider: 'claude', upstream: MODEL }, small: { provider: 'mock', upstream: 'mock-small' } },
          routes: [
            { name: 'chat', match: { task: 'chat' }, primary: 'haiku', fallbacks: ['small'], timeout: '5s', retries: 0 },
            { name: 'summarize', match: { task: 'summarize' }, primary: 'small', fallbacks: [], timeout: '5s', retries: 0 },
          ],
        }),
    });
  });
  after(async () => {
    await gw?.close();
    await api?.close();
  });

  it('answers a chat completion; usage in OpenAI\'s shape; cost at Anthropic\'s cache rates', async () => {
    api.reply({ json: { id: 'msg_it', type: 'message', role: 'assistant', model: MODEL, content: [{ type: 'text', text: 'Bonjour.' }], stop_reason: 'end_turn', stop_sequence: null, usage } });
    const r = await chat(gw.url, { ...hello('Say hello in French'), max_tokens: 50 }, { ...auth(KEYS.support), 'x-gatehouse-task': 'chat' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.choices[0].message.content, 'Bonjour.');
    assert.equal(r.json.choices[0].finish_reason, 'stop');
    assert.equal(r.json.usage.prompt_tokens, 1000);
    assert.equal(r.json.usage.prompt_tokens_details.cached_tokens, 600);
    const sent = api.seen.at(-1)!;
    assert.equal(sent.headers['x-api-key'], 'sk-ant-it');
    assert.deepEqual((sent.body as { messages: unknown }).messages, [{ role: 'user', content: [{ type: 'text', text: 'Say hello in French' }] }]);
    const p = priceFor('anthropic', MODEL);
    const want = (200 * p.inputPerMTok + 600 * p.cacheReadPerMTok! + 200 * p.cacheWritePerMTok! + 50 * p.outputPerMTok) / 1e6;
    assert.ok(Math.abs(r.json.gatehouse.cost_usd - want) < 1e-12, `cost ${r.json.gatehouse.cost_usd}, want ${want}`);
  });

  it('streams: Anthropic\'s events arrive as chat.completion.chunk SSE, ending with [DONE]', async () => {
    api.reply({ events: [
      ev({ type: 'message_start', message: { id: 'msg_s', type: 'message', role: 'assistant', model: MODEL, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 12, output_tokens: 1 } } }),
      ev({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
      ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Bon' } }),
      ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'jour.' } }),
      ev({ type: 'content_block_stop', index: 0 }),
      ev({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 4 } }),
      ev({ type: 'message_stop' }),
    ] });
    const r = await streamChat(gw.url, { ...hello('Say hello in French'), stream_options: { include_usage: true } }, { ...auth(KEYS.support), 'x-gatehouse-task': 'chat' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.text, 'Bonjour.');
    assert.equal(r.done, true);
    assert.ok(r.events.some((e) => e.choices?.[0]?.finish_reason === 'stop'));
    assert.equal(r.events.find((e) => e.usage)?.usage.completion_tokens, 4);
  });

  it('an overloaded Anthropic (529) is a provider server error: the route falls back and says so', async () => {
    api.reply({ status: 529, json: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } });
    const r = await chat(gw.url, hello('hi'), { ...auth(KEYS.support), 'x-gatehouse-task': 'chat' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.gatehouse.model, 'small');
    assert.deepEqual(r.json.gatehouse.fallbacks, ['haiku']);
    assert.equal(r.json.gatehouse.attempts[0].error, 'ProviderServerError');
  });
});
