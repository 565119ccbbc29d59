import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { hashApiKey } from '../../src/auth';
import { KEYS, send, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway';
import { waitFor } from '../helpers/process';

const LIMITED_KEY = 'test-key-limited-0123456789abcdef';
const REVIEWER_KEY = 'test-key-reviewer-0123456789abcdef';
/** A 1×1 PNG. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const WEATHER: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Current weather in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

const config = (mockUrl: string) => {
  const c = testConfig(mockUrl) as Record<string, any>;
  c.callers.support.tasks = ['chat', 'summarize', 'draft', 'cut'];
  c.models.cut = { provider: 'mock', upstream: 'mock-cut+stream-cut=2' };
  c.callers.limited = { team: 'throttled', roles: ['caller'], tasks: ['chat'], defaultTask: 'chat', keyHash: hashApiKey(LIMITED_KEY) };
  c.callers.reviewer = { team: 'qa', roles: ['reviewer'], keyHash: hashApiKey(REVIEWER_KEY) };
  c.routes.push({ name: 'cut', match: { task: 'cut' }, primary: 'cut', retries: 0, timeout: '5s' });
  c.routes.push({ name: 'draft', match: { task: 'draft' }, primary: 'small', review: { when: 'always', deadline: '1h', reviewers: ['reviewer'] } });
  return { ...c, limits: { callers: { limited: { rpm: 2 } } } };
};

describe('POST /v1/messages: the unmodified Anthropic SDK against the gateway', () => {
  let gw: TestGateway;
  let client: Anthropic;
  const anthropic = (opts: ConstructorParameters<typeof Anthropic>[0] = {}) => new Anthropic({ baseURL: gw.url, apiKey: KEYS.support, maxRetries: 0, ...opts });
  before(async () => {
    gw = await startTestGateway({ config });
    client = anthropic();
  });
  after(() => gw?.close());

  it('answers a Message: text block, end_turn, usage, the gateway model name and its metadata', async () => {
    const { data: msg, response } = await client.messages
      .create({ model: 'auto', max_tokens: 200, system: 'Be brief', messages: [{ role: 'user', content: 'Hello Claude' }] })
      .withResponse();
    assert.match(msg.id, /^msg_/);
    assert.equal(msg.type, 'message');
    assert.equal(msg.role, 'assistant');
    assert.equal(msg.model, 'small');
    assert.deepEqual(msg.content, [{ type: 'text', text: 'Mock answer to: Hello Claude', citations: null }]);
    assert.equal(msg.stop_reason, 'end_turn');
    assert.ok(msg.usage.input_tokens > 0 && msg.usage.output_tokens > 0, JSON.stringify(msg.usage));
    const requestId = response.headers.get('x-gatehouse-request-id')!;
    assert.match(requestId, /^req-/);
    const meta = (msg as unknown as { gatehouse: { request_id: string; route: string } }).gatehouse;
    assert.equal(meta.request_id, requestId);
    assert.equal(meta.route, 'chat');
    await waitFor(async () => (await gw.ledger.get(requestId))?.status === 'completed', 5000, 'ledger row');
    assert.equal((await gw.ledger.get(requestId))!.completion_tokens, msg.usage.output_tokens);
  });

  it('streams Anthropic\'s event sequence; finalMessage() is the whole answer', async () => {
    const stream = client.messages.stream({ model: 'auto', max_tokens: 200, messages: [{ role: 'user', content: 'Stream me please' }] });
    const order: string[] = [];
    stream.on('streamEvent', (e) => order.push(e.type));
    let text = '';
    stream.on('text', (t) => (text += t));
    const final = await stream.finalMessage();
    const deltas = order.filter((t) => t === 'content_block_delta').length;
    assert.ok(deltas > 1, 'text arrives in pieces');
    assert.deepEqual(order, ['message_start', 'content_block_start', ...Array(deltas).fill('content_block_delta'), 'content_block_stop', 'message_delta', 'message_stop']);
    assert.equal(text, 'Mock answer to: Stream me please');
    assert.deepEqual(final.content, [{ type: 'text', text, citations: null }]);
    assert.equal(final.stop_reason, 'end_turn');
    assert.equal(final.model, 'small');
    assert.ok(final.usage.input_tokens > 0 && final.usage.output_tokens > 0, JSON.stringify(final.usage));
  });

  it('a stream that breaks after text reached the caller ends with an error event in Anthropic\'s shape, no message_stop', async () => {
    const stream = client.messages.stream({ model: 'auto', max_tokens: 200, messages: [{ role: 'user', content: 'a long answer that will be cut short' }] }, { headers: { 'x-gatehouse-task': 'cut' } });
    const order: string[] = [];
    stream.on('streamEvent', (e) => order.push(e.type));
    const err = await stream.finalMessage().catch((e: unknown) => e);
    assert.ok(err instanceof Anthropic.APIError, String(err));
    const body = err.error as any;
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'api_error');
    assert.equal(body.error.code, 'stream_interrupted');
    assert.match(body.error.message, /broke mid-answer/);
    assert.equal(body.gatehouse.attempts.length, 1, 'the gateway metadata beside the error');
    assert.equal(order[0], 'message_start');
    assert.ok(order.includes('content_block_delta'), 'text reached the caller first');
    assert.ok(!order.includes('message_stop') && !order.includes('message_delta'), order.join(','));
  });

  it('x-api-key authenticates as Authorization: Bearer does; anthropic-version and anthropic-beta are accepted', async () => {
    const viaHeader = anthropic({ apiKey: null, defaultHeaders: { 'x-api-key': KEYS.support, 'anthropic-beta': 'prompt-caching-2024-07-31' } });
    const msg = await viaHeader.messages.create({ model: 'auto', max_tokens: 50, messages: [{ role: 'user', content: 'Key by header' }] });
    assert.equal((msg.content[0] as Anthropic.TextBlock).text, 'Mock answer to: Key by header');
    const bad = await send(gw.url, '/v1/messages', JSON.stringify({ model: 'auto', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }), {
      'content-type': 'application/json', 'x-api-key': KEYS.support, 'anthropic-version': 'latest',
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json.error.type, 'invalid_request_error');
    assert.equal(bad.json.error.code, 'invalid_anthropic_version');
  });

  it('the guard\'s and the body parser\'s refusals in Anthropic\'s error shape, our code kept inside: 401 AuthenticationError, 403, 413', async () => {
    const err = await anthropic({ apiKey: 'not-a-key' }).messages.create({ model: 'auto', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    assert.ok(err instanceof Anthropic.AuthenticationError, String(err));
    assert.equal(err.status, 401);
    assert.deepEqual(err.error, { type: 'error', error: { type: 'authentication_error', message: 'Incorrect API key provided', code: 'invalid_api_key' } });
    const none = await send(gw.url, '/v1/messages', '{"broken', { 'content-type': 'application/json' });
    assert.equal(none.status, 401);
    assert.equal(none.json.type, 'error');
    assert.equal(none.json.error.code, 'missing_api_key');
    const denied = await anthropic({ apiKey: REVIEWER_KEY }).messages.create({ model: 'auto', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    assert.ok(denied instanceof Anthropic.PermissionDeniedError, String(denied));
    assert.equal((denied.error as any).error.type, 'permission_error');
    assert.equal((denied.error as any).error.code, 'caller_role_required');
    const huge = await send(gw.url, '/v1/messages', JSON.stringify({ model: 'auto', max_tokens: 5, messages: [{ role: 'user', content: 'x'.repeat(2 * 1024 * 1024) }] }), { 'content-type': 'application/json', 'x-api-key': KEYS.support });
    assert.equal(huge.status, 413);
    assert.deepEqual(huge.json.error.type, 'request_too_large');
  });

  it('bad bodies are 400 invalid_request_error (a missing max_tokens, unparseable JSON); an unknown model or path is 404 not_found_error', async () => {
    const err = await client.messages.create({ model: 'auto', messages: [{ role: 'user', content: 'x' }] } as never).catch((e: unknown) => e);
    assert.ok(err instanceof Anthropic.BadRequestError, String(err));
    assert.equal((err.error as any).type, 'error');
    assert.equal((err.error as any).error.type, 'invalid_request_error');
    assert.match((err.error as any).error.message, /max_tokens/);
    const broken = await send(gw.url, '/v1/messages', '{"model": ', { 'content-type': 'application/json', 'x-api-key': KEYS.support });
    assert.equal(broken.status, 400);
    assert.deepEqual(Object.keys(broken.json), ['type', 'error']);
    assert.equal(broken.json.error.type, 'invalid_request_error');
    assert.equal(broken.json.error.code, 'invalid_json');
    const missing = await client.messages.countTokens({ model: 'auto', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    assert.ok(missing instanceof Anthropic.NotFoundError, `no count_tokens endpoint, said as Anthropic says it: ${String(missing)}`);
    assert.equal((missing.error as any).error.type, 'not_found_error');
    const unknown = await client.messages.create({ model: 'claude-nope', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    assert.ok(unknown instanceof Anthropic.NotFoundError, String(unknown));
    assert.equal((unknown.error as any).error.type, 'not_found_error');
    assert.equal((unknown.error as any).error.code, 'model_not_found');
  });

  it('over the rate limit is a RateLimitError (429) with rate_limit_error and Retry-After', async () => {
    const limited = anthropic({ apiKey: LIMITED_KEY });
    const ask = () => limited.messages.create({ model: 'auto', max_tokens: 20, messages: [{ role: 'user', content: 'limited' }] });
    await ask();
    await ask();
    const err = await ask().catch((e: unknown) => e);
    assert.ok(err instanceof Anthropic.RateLimitError, String(err));
    assert.equal((err.error as any).error.type, 'rate_limit_error');
    assert.equal((err.error as any).error.code, 'rate_limit_exceeded');
    assert.ok(Number(err.headers.get('retry-after')) >= 1);
  });

  it('the same limit over /v1/chat/completions: the OpenAI SDK\'s RateLimitError, typed as OpenAI types a requests limit', async () => {
    // Runs after the test above spent this caller's 2 requests a minute.
    const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: LIMITED_KEY, maxRetries: 0 });
    const err = await openai.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'limited' }] }).catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.RateLimitError, String(err));
    assert.equal(err.type, 'requests', 'not invalid_request_error');
    assert.equal(err.code, 'rate_limit_exceeded');
    assert.ok(Number(err.headers?.get('retry-after')) >= 1);
  });

  it('a tool-use round trip: tool_use with parsed input → tool_result → the final text', async () => {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Oslo' }];
    const first = await client.messages.create({ model: 'auto', max_tokens: 200, tools: [WEATHER], messages });
    assert.equal(first.stop_reason, 'tool_use');
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    assert.equal(use.name, 'get_weather');
    assert.deepEqual(use.input, { city: 'Oslo' });
    messages.push({ role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '-3 C and snow' }] });
    const second = await client.messages.create({ model: 'auto', max_tokens: 200, tools: [WEATHER], messages });
    assert.equal(second.stop_reason, 'end_turn');
    assert.deepEqual(second.content, [{ type: 'text', text: 'Mock answer to the tool result: -3 C and snow', citations: null }]);

    // Streamed, the SDK assembles the same tool_use from input_json_delta.
    const streamed = await client.messages.stream({ model: 'auto', max_tokens: 200, tools: [WEATHER], tool_choice: { type: 'tool', name: 'get_weather' }, messages: [{ role: 'user', content: 'Oslo' }] }).finalMessage();
    assert.equal(streamed.stop_reason, 'tool_use');
    assert.deepEqual(streamed.content.map((b) => (b.type === 'tool_use' ? { name: b.name, input: b.input } : b.type)), [{ name: 'get_weather', input: { city: 'Oslo' } }]);
  });

  it('an image block is accepted (base64 and URL) and answered', async () => {
    const msg = await client.messages.create({
      model: 'auto',
      max_tokens: 100,
      messages: [{ role: 'user', content: [
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
        { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
        { type: 'text', text: 'Describe the picture' },
      ] }],
    });
    assert.equal((msg.content[0] as Anthropic.TextBlock).text, 'Mock answer to: Describe the picture');
  });

  it('Idempotency-Key and x-gatehouse-task work as on chat completions; a route held for review answers 202', async () => {
    const body = { model: 'auto', max_tokens: 50, messages: [{ role: 'user' as const, content: 'Once only' }] };
    const before = gw.mock.calls('mock-small');
    const key = `msg-${Date.now()}`;
    const one = await client.messages.create(body, { headers: { 'idempotency-key': key } });
    const two = await client.messages.create(body, { headers: { 'idempotency-key': key } });
    assert.equal(two.id, one.id);
    assert.equal(gw.mock.calls('mock-small') - before, 1, 'one provider call');
    const held = await send(gw.url, '/v1/messages', JSON.stringify(body), { 'content-type': 'application/json', 'x-api-key': KEYS.support, 'x-gatehouse-task': 'draft' });
    assert.equal(held.status, 202, JSON.stringify(held.json));
    assert.equal(held.json.status, 'awaiting_review');
    await gw.client.workflow.getHandle(held.headers.get('x-gatehouse-request-id')!).cancel();
  });

  it('the same route through the openai SDK on /v1/chat/completions: the same answer, and OpenAI\'s error shape there', async () => {
    const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEYS.support, maxRetries: 0 });
    const chat = await openai.chat.completions.create({ model: 'auto', messages: [{ role: 'system', content: 'Be brief' }, { role: 'user', content: 'Hello Claude' }] });
    const msg = await client.messages.create({ model: 'auto', max_tokens: 200, system: 'Be brief', messages: [{ role: 'user', content: 'Hello Claude' }] });
    assert.equal(chat.model, msg.model);
    assert.equal(chat.choices[0]!.message.content, (msg.content[0] as Anthropic.TextBlock).text);
    assert.equal(chat.usage!.prompt_tokens, msg.usage.input_tokens);
    assert.equal(chat.usage!.completion_tokens, msg.usage.output_tokens);
    const err = await new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'not-a-key', maxRetries: 0 }).chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.AuthenticationError);
    assert.equal(err.code, 'invalid_api_key');
    assert.equal(err.type, 'authentication_error');
  });
});
