import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { EVENT_STREAM, KEYS as AWS_KEYS, MODEL, awsError, event } from '../helpers/bedrock';
import { KEYS, auth, chat, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway';
import { startReplayServer, type ReplayServer } from '../helpers/replay';

/**
 * A Bedrock model behind the gateway's /v1/chat/completions: the real AWS SDK (SigV4) against a
 * replayed Bedrock API, through the whole workflow (routing, retries, fallback, streaming, ledger).
 */
describe('bedrock behind the gateway (real dev server, replayed Bedrock API)', () => {
  let gw: TestGateway;
  let api: ReplayServer;
  before(async () => {
    api = await startReplayServer({ http2: true });
    const config = (mockUrl: string) => {
      const base = testConfig(mockUrl) as Record<string, any>;
      return {
        ...base,
        providers: { ...base.providers, aws: { kind: 'bedrock', region: 'us-east-1', endpoint: api.url } },
        models: { ...base.models, claude: { provider: 'aws', upstream: MODEL } },
        routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'claude', fallbacks: ['large'], timeout: '5s', retries: 0 }, ...base.routes.filter((r: { name: string }) => r.name !== 'chat')],
      };
    };
    gw = await startTestGateway({ config, env: AWS_KEYS });
  });
  after(async () => {
    await gw?.close();
    await api?.close();
  });

  const TOOLS = [{ type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];

  it('a tool-call round trip: the tool call comes back in OpenAI shape, the tool result reaches Bedrock as a toolResult', async () => {
    api.reply({ json: { output: { message: { role: 'assistant', content: [{ toolUse: { toolUseId: 'tooluse_1', name: 'weather', input: { city: 'Paris' } } }] } }, stopReason: 'tool_use', usage: { inputTokens: 20, outputTokens: 10, totalTokens: 30 } } });
    const question = { role: 'user', content: 'Weather in Paris?' };
    const first = await chat(gw.url, { model: 'auto', messages: [question], tools: TOOLS }, auth(KEYS.support));
    assert.equal(first.status, 200, JSON.stringify(first.json));
    assert.equal(first.json.gatehouse.model, 'claude');
    assert.equal(first.json.choices[0].finish_reason, 'tool_calls');
    const call = first.json.choices[0].message.tool_calls[0];
    assert.deepEqual(call, { id: 'tooluse_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } });

    api.reply({ json: { output: { message: { role: 'assistant', content: [{ text: 'Sunny, 21°C.' }] } }, stopReason: 'end_turn', usage: { inputTokens: 40, outputTokens: 6, totalTokens: 46 } } });
    const messages = [question, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: 'tooluse_1', content: '21°C, sunny' }];
    const second = await chat(gw.url, { model: 'auto', messages, tools: TOOLS }, auth(KEYS.support));
    assert.equal(second.status, 200, JSON.stringify(second.json));
    assert.equal(second.json.choices[0].message.content, 'Sunny, 21°C.');
    assert.deepEqual(second.json.usage, { prompt_tokens: 40, completion_tokens: 6, total_tokens: 46 });
    const sent = api.seen.at(-1)!.body as { messages: unknown[] };
    assert.deepEqual(sent.messages.at(-1), { role: 'user', content: [{ toolResult: { toolUseId: 'tooluse_1', content: [{ text: '21°C, sunny' }] } }] });
  });

  it('Bedrock throttling falls back to the next model, and the attempt says why', async () => {
    api.reply(awsError(429, 'ThrottlingException', 'Too many requests, please wait before trying again.'));
    const res = await chat(gw.url, { model: 'auto', messages: [{ role: 'user', content: 'Hello' }] }, auth(KEYS.support));
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.gatehouse.model, 'large');
    assert.equal(res.json.gatehouse.attempts[0].error, 'ProviderRateLimited');
  });

  it('streams a ConverseStream answer to the unmodified openai client', async () => {
    api.reply({
      headers: EVENT_STREAM,
      frames: [
        event('messageStart', { role: 'assistant' }),
        event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Bonjour' } }),
        event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: ' Paris' } }),
        event('messageStop', { stopReason: 'end_turn' }),
        event('metadata', { usage: { inputTokens: 5, outputTokens: 2, totalTokens: 7 }, metrics: { latencyMs: 10 } }),
      ],
    });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEYS.support, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'Greet' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, 'Bonjour Paris');
    assert.deepEqual(usage, { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
    assert.match(api.seen.at(-1)!.path, /\/converse-stream$/);
  });
});
