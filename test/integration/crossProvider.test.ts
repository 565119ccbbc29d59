import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { KEYS, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway';
import { startReplayServer, type ReplayServer } from '../helpers/replay';

/**
 * Native providers behind the front door, through HTTP with the vendors' own client SDKs: an
 * Anthropic model and an Azure OpenAI deployment (each a replay server in its documented shapes)
 * fall back to one another, a tool call makes the round trip through the Anthropic adapter, and a
 * field the provider cannot honour is reported, never dropped silently.
 */
let claudeApi: ReplayServer;
let azureApi: ReplayServer;
let gw: TestGateway;
let openai: OpenAI;
let anthropic: Anthropic;

before(async () => {
  claudeApi = await startReplayServer();
  azureApi = await startReplayServer();
  gw = await startTestGateway({
    env: { CLAUDE_KEY: 'sk-ant-replay', AZURE_KEY: 'azure-replay-key' },
    config: (mockUrl) =>
      testConfig(mockUrl, {
        providers: {
          claude: { kind: 'anthropic', baseUrl: claudeApi.url, apiKeyEnv: 'CLAUDE_KEY' },
          azure: { kind: 'azure-openai', endpoint: azureApi.url, apiKeyEnv: 'AZURE_KEY' },
        },
        models: {
          haiku: { provider: 'claude', upstream: 'claude-3-5-haiku-20241022' },
          gpt: { provider: 'azure', upstream: 'gpt-4o-mini-prod' },
        },
        routes: [
          { name: 'claude-first', match: { task: 'chat' }, primary: 'haiku', fallbacks: ['gpt'], timeout: '5s', retries: 0 },
          { name: 'azure-first', match: { task: 'summarize' }, primary: 'gpt', fallbacks: ['haiku'], timeout: '5s', retries: 0, maxRetryWait: '1s' },
        ],
      }),
  });
  openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEYS.support, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: KEYS.support, maxRetries: 0 });
});
after(async () => {
  await gw?.close();
  await claudeApi?.close();
  await azureApi?.close();
});

const claudeMessage = (content: unknown[], stop = 'end_turn') => ({
  id: 'msg_replay',
  type: 'message',
  role: 'assistant',
  model: 'claude-3-5-haiku-20241022',
  content,
  stop_reason: stop,
  stop_sequence: null,
  usage: { input_tokens: 21, output_tokens: 9 },
});
const azureCompletion = (content: string) => ({
  id: 'chatcmpl-azure',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 },
});

describe('native providers behind the front door', () => {
  it('Anthropic overloaded (529) → the Azure deployment answers, through the openai SDK', async () => {
    claudeApi.reply({ status: 529, json: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } });
    azureApi.reply({ json: azureCompletion('From Azure') });
    const res = (await openai.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'Hello' }] })) as OpenAI.ChatCompletion & { gatehouse: any };
    assert.equal(res.choices[0]?.message.content, 'From Azure');
    assert.equal(res.gatehouse.model, 'gpt');
    assert.deepEqual(res.gatehouse.fallbacks, ['haiku']);
    assert.equal(res.gatehouse.attempts[0].error, 'ProviderServerError');
    const toAzure = azureApi.seen.at(-1)!;
    assert.match(toAzure.path, /^\/openai\/deployments\/gpt-4o-mini-prod\/chat\/completions\?api-version=/);
    assert.equal(toAzure.headers['api-key'], 'azure-replay-key');
    assert.equal(claudeApi.seen.at(-1)!.headers['x-api-key'], 'sk-ant-replay');
  });

  it('Azure rate-limited past the route\'s wait → the Anthropic model answers, through the Anthropic SDK', async () => {
    azureApi.reply({ status: 429, headers: { 'retry-after': '60' }, json: { error: { code: '429', message: 'Requests to the ChatCompletions_Create Operation have exceeded call rate limit.' } } });
    claudeApi.reply({ json: claudeMessage([{ type: 'text', text: 'From Claude' }]) });
    const msg = await anthropic.messages.create(
      { model: 'auto', max_tokens: 100, messages: [{ role: 'user', content: 'Summarize: hi' }] },
      { headers: { 'x-gatehouse-task': 'summarize' } },
    );
    assert.deepEqual(msg.content.map((b) => (b.type === 'text' ? b.text : b.type)), ['From Claude']);
    assert.equal(msg.stop_reason, 'end_turn');
    const meta = (msg as unknown as { gatehouse: { model: string; fallbacks: string[]; attempts: Array<{ error?: string }> } }).gatehouse;
    assert.equal(meta.model, 'haiku');
    assert.deepEqual(meta.fallbacks, ['gpt']);
    assert.equal(meta.attempts[0]?.error, 'ProviderRateLimited');
  });

  it('a tool call makes the round trip through the Anthropic adapter (openai SDK in, tool_use/tool_result upstream)', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
    claudeApi.reply({ json: claudeMessage([{ type: 'tool_use', id: 'toolu_01', name: 'weather', input: { city: 'Paris' } }], 'tool_use') });
    const first = await openai.chat.completions.create({ model: 'haiku', tools, messages: [{ role: 'user', content: 'Weather in Paris?' }] });
    const call = first.choices[0]?.message.tool_calls?.[0];
    assert.equal(first.choices[0]?.finish_reason, 'tool_calls');
    assert.ok(call && call.type === 'function');
    assert.equal(call.function.name, 'weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
    const sentTools = (claudeApi.seen.at(-1)!.body as { tools: Array<{ name: string; input_schema: unknown }> }).tools;
    assert.deepEqual(sentTools.map((t) => t.name), ['weather']);

    claudeApi.reply({ json: claudeMessage([{ type: 'text', text: 'Sunny, 21°C in Paris.' }]) });
    const second = await openai.chat.completions.create({
      model: 'haiku',
      tools,
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: '{"temp_c":21,"sky":"sunny"}' },
      ],
    });
    assert.equal(second.choices[0]?.message.content, 'Sunny, 21°C in Paris.');
    const upstream = claudeApi.seen.at(-1)!.body as { messages: Array<{ role: string; content: Array<Record<string, unknown>> }> };
    assert.deepEqual(upstream.messages.map((m) => m.role), ['user', 'assistant', 'user']);
    assert.equal(upstream.messages[1]?.content.find((b) => b.type === 'tool_use')?.id, call.id);
    const result = upstream.messages[2]?.content.find((b) => b.type === 'tool_result');
    assert.equal(result?.tool_use_id, call.id);
  });

  it('a field the provider cannot honour is named in gatehouse.warnings and the ledger, not dropped silently', async () => {
    claudeApi.reply({ json: claudeMessage([{ type: 'text', text: 'ok' }]) });
    const res = (await openai.chat.completions.create({ model: 'haiku', logprobs: true, messages: [{ role: 'user', content: 'Hi' }] })) as OpenAI.ChatCompletion & { gatehouse: { request_id: string; warnings?: string[] } };
    const warnings = res.gatehouse.warnings ?? [];
    assert.ok(warnings.some((w) => w.includes('logprobs') && w.includes('claude')), `warnings: ${JSON.stringify(warnings)}`);
    assert.equal((claudeApi.seen.at(-1)!.body as Record<string, unknown>).logprobs, undefined);
    const row = (await gw.ledger.get(res.gatehouse.request_id));
    assert.deepEqual(JSON.parse(row?.warnings ?? '[]'), warnings);
  });
});
