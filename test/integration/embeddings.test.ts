import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import OpenAI from 'openai';
import { GatehouseClient, GatewayError } from '../../src';
import { hashApiKey } from '../../src/auth';
import { mockVector, MOCK_EMBEDDING_DIMENSIONS } from '../../src/mock/embeddings';
import { screenPrompt } from '../../src/policy';
import { GatehouseSearch } from '../../src/temporal/searchAttributes';
import { auth, send, startTestGateway, type TestGateway } from '../helpers/gateway';

const key = (name: string) => `test-key-${name}-0123456789abcdef`;
const caller = (name: string, team: string, tasks: string[]) => ({ team, roles: ['caller'], tasks, keyHash: hashApiKey(key(name)) });
const CARD = '4111 1111 1111 1111';
const PRICE = { inputPerMTok: 100, outputPerMTok: 0 };

/** `kind: mock`: the gateway's own mock server, whose `embed` answers hash-derived vectors. */
const config = () => ({
  providers: { mock: { kind: 'mock' } },
  models: {
    chatty: { provider: 'mock', upstream: 'mock-small' },
    embed: { provider: 'mock', upstream: 'mock-embed', mode: 'embedding', price: PRICE },
    broken: { provider: 'mock', upstream: 'mock-embed+fail500', mode: 'embedding' },
    backup: { provider: 'mock', upstream: 'mock-embed-backup', mode: 'embedding' },
    priced: { provider: 'mock', upstream: 'mock-embed-priced', mode: 'embedding', price: PRICE },
  },
  callers: {
    alice: caller('alice', 'web', ['embeddings', 'chat', 'fallback', 'guarded', 'scrubbed', 'held']),
    spender: caller('spender', 'money', ['budgeted']),
    rl: caller('rl', 'rl-team', ['embeddings']),
    rev: { team: 'review', roles: ['reviewer'], reviews: ['held'], keyHash: hashApiKey(key('rev')) },
  },
  routes: [
    { name: 'embeddings', match: { task: 'embeddings' }, primary: 'embed' },
    { name: 'chat', match: { task: 'chat' }, primary: 'chatty' },
    { name: 'fallback', match: { task: 'fallback' }, primary: 'broken', fallbacks: ['backup'], retries: 0 },
    { name: 'guarded', match: { task: 'guarded' }, primary: 'embed', sensitivity: { action: 'block' } },
    { name: 'scrubbed', match: { task: 'scrubbed' }, primary: 'backup', sensitivity: { action: 'redact' } },
    { name: 'budgeted', match: { task: 'budgeted' }, primary: 'priced' },
    { name: 'held', match: { task: 'held' }, primary: 'embed', sensitivity: { action: 'review' }, review: { when: ['on_validation_failure'], deadline: '1h' } },
  ],
  limits: { callerBudgets: { spender: { dailyUsd: 0.01 } }, callers: { rl: { rpm: 2 } } },
});

type WithMeta = OpenAI.CreateEmbeddingResponse & { gatehouse: { request_id: string; route: string; model: string; fallbacks: string[]; attempts: unknown[]; cost_usd: number } };

describe('POST /v1/embeddings with the openai SDK, through the request workflow', () => {
  let gw: TestGateway;
  let client: OpenAI;
  const task = (t: string) => ({ headers: { 'x-gatehouse-task': t } });
  const embed = async (body: OpenAI.EmbeddingCreateParams, opts?: OpenAI.RequestOptions) => (await client.embeddings.create(body, opts)) as WithMeta;
  before(async () => {
    gw = await startTestGateway({ config });
    client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key('alice'), maxRetries: 0 });
  });
  after(() => gw?.close());

  it("answers one input with the provider's vector and usage (the SDK's default base64, decoded by the SDK), with headers and metadata", async () => {
    const { data: res, response } = await client.embeddings.create({ model: 'auto', input: 'hello world' }).withResponse();
    const meta = (res as WithMeta).gatehouse;
    assert.equal(res.data.length, 1);
    assert.deepEqual(res.data[0]!.embedding, mockVector('hello world', MOCK_EMBEDDING_DIMENSIONS));
    assert.equal(res.model, 'embed');
    assert.ok(res.usage.prompt_tokens > 0 && res.usage.total_tokens === res.usage.prompt_tokens, JSON.stringify(res.usage));
    assert.equal(meta.route, 'embeddings');
    assert.equal(response.headers.get('x-gatehouse-request-id'), meta.request_id);
    assert.equal(response.headers.get('x-gatehouse-route'), 'embeddings');
    assert.equal(response.headers.get('x-gatehouse-model'), 'embed');
    // The ledger row: usage, cost from the price table (input tokens only), the operation.
    const row = (await gw.ledger.get(meta.request_id))!;
    assert.equal(row.status, 'completed');
    assert.equal(row.operation, 'embeddings');
    assert.equal(row.task, 'embeddings');
    assert.equal(row.model, 'embed');
    assert.equal(row.prompt_tokens, res.usage.prompt_tokens);
    assert.equal(row.completion_tokens, 0);
    assert.equal(row.total_tokens, res.usage.total_tokens);
    assert.ok(Math.abs(row.cost_usd! - (res.usage.prompt_tokens * PRICE.inputPerMTok) / 1e6) < 1e-12, String(row.cost_usd));
    assert.equal(meta.cost_usd, row.cost_usd);
  });

  it('answers a batch in input order, as floats when asked, with dimensions honoured', async () => {
    const input = ['first', 'second', 'third'];
    const res = await embed({ model: 'embed', input, encoding_format: 'float', dimensions: 4 });
    assert.deepEqual(res.data.map((d) => d.index), [0, 1, 2]);
    assert.deepEqual(res.data.map((d) => d.embedding), input.map((t) => mockVector(t, 4)));
  });

  it('answers raw base64 float32 (little-endian) to a caller that asks for it', async () => {
    const res = await send(gw.url, '/v1/embeddings', JSON.stringify({ model: 'auto', input: 'raw', encoding_format: 'base64' }), { ...auth(key('alice')), 'content-type': 'application/json' });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const bytes = Buffer.from(res.json.data[0].embedding as string, 'base64');
    const floats = Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
    assert.deepEqual(floats, mockVector('raw', MOCK_EMBEDDING_DIMENSIONS));
  });

  it('falls back to the next embedding model when the primary fails, and says so', async () => {
    const res = await embed({ model: 'auto', input: 'fall back please' }, task('fallback'));
    assert.equal(res.model, 'backup');
    assert.deepEqual(res.gatehouse.fallbacks, ['broken']);
    assert.deepEqual(res.data[0]!.embedding, mockVector('fall back please', MOCK_EMBEDDING_DIMENSIONS));
    const row = (await gw.ledger.get(res.gatehouse.request_id))!;
    assert.deepEqual(JSON.parse(row.attempts).map((a: { model: string; outcome: string }) => `${a.model}:${a.outcome}`), ['broken:failed', 'backup:ok']);
  });

  it('blocks a planted secret on a blocking route, before any provider call', async () => {
    const err = await embed({ model: 'auto', input: ['fine', `pay with ${CARD}`] }, task('guarded')).catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIError, String(err));
    assert.equal(err.status, 403);
    assert.equal(err.code, 'sensitive_data_blocked');
  });

  it('refuses sensitive input on a route that would hold it for review (there is no answer to review), and records the refusal', async () => {
    const err = await embed({ model: 'auto', input: `card ${CARD}` }, task('held')).catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIError, String(err));
    assert.equal(err.status, 403);
    assert.equal(err.code, 'review_not_supported');
    const id = err.headers?.get('x-gatehouse-request-id');
    assert.ok(id, 'the refused request has an id');
    assert.equal((await gw.ledger.get(id))?.status, 'denied');
    assert.equal((await gw.ledger.get(id))?.error_code, 'review_not_supported');
  });

  it('embeds the redacted text on a redacting route: the provider never sees the secret', async () => {
    const input = `card ${CARD} on file`;
    const res = await embed({ model: 'auto', input: [input, 'clean'] }, task('scrubbed'));
    const redacted = screenPrompt([{ role: 'user', content: input }], { action: 'redact', minClass: 'confidential' }).messages![0]!.content as string;
    assert.notEqual(redacted, input);
    assert.ok(!redacted.includes(CARD));
    assert.deepEqual(res.data[0]!.embedding, mockVector(redacted, MOCK_EMBEDDING_DIMENSIONS));
    assert.deepEqual(res.data[1]!.embedding, mockVector('clean', MOCK_EMBEDDING_DIMENSIONS));
    assert.equal((await gw.ledger.get(res.gatehouse.request_id))!.sensitive_kinds !== null, true);
  });

  it('refuses with 429 budget_exceeded once the budget is spent', async () => {
    const spender = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key('spender'), maxRetries: 0 });
    const input = Array.from({ length: 60 }, () => 'word').join(' ');
    const first = (await spender.embeddings.create({ model: 'auto', input })) as WithMeta;
    assert.ok(first.gatehouse.cost_usd > 0.005, String(first.gatehouse.cost_usd));
    const err = await spender.embeddings.create({ model: 'auto', input }).catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIError, String(err));
    assert.equal(err.status, 429);
    assert.equal(err.code, 'budget_exceeded');
  });

  it("counts against the caller's rate limit like chat: the third request in a minute is a 429", async () => {
    const post = (input: string) => send(gw.url, '/v1/embeddings', JSON.stringify({ model: 'auto', input }), { ...auth(key('rl')), 'content-type': 'application/json' });
    assert.equal((await post('one')).status, 200);
    assert.equal((await post('two')).status, 200);
    const refused = await post('three');
    assert.equal(refused.status, 429);
    assert.equal(refused.json.error.code, 'rate_limit_exceeded');
  });

  it('refuses a batch whose vectors would not fit in the durable request with a clear 413, not a payload error', async () => {
    // 70 vectors of 4096 float32 values: ~1.5 MB packed, past MAX_ANSWER_CHARS (Temporal refuses payloads over 2 MB).
    const input = Array.from({ length: 70 }, (_, i) => `text ${i}`);
    const err = await embed({ model: 'auto', input, dimensions: 4096 }).catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIError, String(err));
    assert.equal(err.status, 413);
    assert.match(err.message, /send fewer inputs or fewer dimensions/);
  });

  it('answers a large batch that fits (60 vectors of 4096 values) whole, through history', async () => {
    const input = Array.from({ length: 60 }, (_, i) => `text ${i}`);
    const res = await embed({ model: 'auto', input, dimensions: 4096 });
    assert.equal(res.data.length, 60);
    assert.deepEqual(res.data[59]!.embedding, mockVector('text 59', 4096));
  });

  it('a chat-only route or a chat model asked for embeddings is a 400 model_not_embedding', async () => {
    for (const [body, opts] of [[{ model: 'auto', input: 'x' }, task('chat')], [{ model: 'chatty', input: 'x' }, undefined]] as const) {
      const err = await embed(body, opts).catch((e: unknown) => e);
      assert.ok(err instanceof OpenAI.APIError, String(err));
      assert.equal(err.status, 400);
      assert.equal(err.code, 'model_not_embedding');
    }
  });

  it('GET /v1/models says which models embed', async () => {
    const res = await send(gw.url, '/v1/models', undefined, auth(key('alice')), 'GET');
    const mode = (id: string) => (res.json.data as Array<{ id: string; mode?: string }>).find((m) => m.id === id)?.mode;
    assert.deepEqual([mode('embed'), mode('chatty'), mode('auto')], ['embedding', 'chat', undefined]);
  });

  it('an embedding model is never planned for chat: 400 model_not_chat', async () => {
    const res = await send(gw.url, '/v1/chat/completions', JSON.stringify({ model: 'embed', messages: [{ role: 'user', content: 'hi' }] }), { ...auth(key('alice')), 'content-type': 'application/json', 'x-gatehouse-task': 'embeddings' });
    assert.equal(res.status, 400, JSON.stringify(res.json));
    assert.equal(res.json.error.code, 'model_not_chat');
  });

  it('refuses bad bodies with a 400 and a stable code, and needs a key', async () => {
    const post = (body: string, headers = auth(key('alice'))) => send(gw.url, '/v1/embeddings', body, { ...headers, 'content-type': 'application/json' });
    const cases: Array<[string, number, string]> = [
      [JSON.stringify({ model: 'auto', input: [1, 2, 3] }), 400, 'text_input_required'],
      [JSON.stringify({ model: 'auto', input: [[1, 2]] }), 400, 'text_input_required'],
      [JSON.stringify({ model: 'auto' }), 400, 'invalid_request'],
      [JSON.stringify({ model: 'auto', input: [] }), 400, 'invalid_request'],
      [JSON.stringify({ model: 'auto', input: 'x', dimensions: -1 }), 400, 'invalid_request'],
      ['{not json', 400, 'invalid_json'],
    ];
    for (const [body, status, code] of cases) {
      const res = await post(body);
      assert.equal(res.status, status, body);
      assert.equal(res.json.error.code, code, body);
    }
    assert.equal((await post(JSON.stringify({ model: 'auto', input: 'x' }), { authorization: 'Bearer nope' })).status, 401);
  });

  it('an Idempotency-Key answers a repeat from the first run, and refuses another body under it', async () => {
    const headers = { ...auth(key('alice')), 'content-type': 'application/json', 'idempotency-key': 'emb-once-1' };
    const body = JSON.stringify({ model: 'auto', input: ['same'] });
    const a = await send(gw.url, '/v1/embeddings', body, headers);
    const b = await send(gw.url, '/v1/embeddings', body, headers);
    assert.equal(a.status, 200, JSON.stringify(a.json));
    assert.equal(b.json.gatehouse.request_id, a.json.gatehouse.request_id);
    assert.deepEqual(b.json.data, a.json.data);
    const other = await send(gw.url, '/v1/embeddings', JSON.stringify({ model: 'auto', input: ['different'] }), headers);
    assert.equal(other.status, 409);
    assert.equal(other.json.error.code, 'idempotency_key_reused');
    const malformed = await send(gw.url, '/v1/embeddings', body, { ...headers, 'idempotency-key': 'not a key!' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.json.error.code, 'invalid_idempotency_key');
  });

  it('the TS client embeds through the same workflow (floats; stable codes for bad input)', async () => {
    const ts = await GatehouseClient.connect({ apiKey: key('alice'), temporal: { address: gw.temporalAddress }, taskQueue: gw.taskQueue, env: { ...gw.env, GATEHOUSE_DATA_DIR: gw.dir } });
    try {
      const res = await ts.embeddings({ body: { model: 'auto', input: ['from the client'] } });
      assert.deepEqual(res.data[0]!.embedding, mockVector('from the client', MOCK_EMBEDDING_DIMENSIONS));
      assert.equal((await gw.ledger.get(res.gatehouse.request_id))!.operation, 'embeddings');
      await assert.rejects(ts.embeddings({ body: { model: 'auto', input: [7] } }), (e: unknown) => e instanceof GatewayError && e.code === 'text_input_required');
      await assert.rejects(ts.embeddings({ body: { model: 'auto', input: 'x' }, task: 'chat' }), (e: unknown) => e instanceof GatewayError && e.code === 'model_not_embedding');
    } finally {
      await ts.close();
    }
  });

  it('is one searchable workflow whose stored history holds neither the inputs nor the key in clear', async () => {
    const secretish = 'embed-me-quietly-7f3a';
    const res = await embed({ model: 'auto', input: [secretish, 'second input'] });
    const id = res.gatehouse.request_id;
    const attrs = (await gw.client.workflow.getHandle(id).describe()).typedSearchAttributes;
    assert.deepEqual(
      [GatehouseSearch.caller, GatehouseSearch.task, GatehouseSearch.route, GatehouseSearch.model, GatehouseSearch.status].map((k) => attrs.get(k)),
      ['alice', 'embeddings', 'embeddings', 'embed', 'completed'],
    );
    // A client without the codec sees what the server stores.
    const connection = await Connection.connect({ address: gw.temporalAddress });
    try {
      const history = await new Client({ connection }).workflow.getHandle(id).fetchHistory();
      const stored = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
      assert.ok(stored.includes(Buffer.from('"alice"')), 'plain search attributes are found (so the bytes were searched)');
      for (const needle of [secretish, key('alice'), hashApiKey(key('alice'))]) assert.ok(!stored.includes(Buffer.from(needle)), `history holds ${needle}`);
      const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
      assert.equal(Buffer.from(input.metadata!.encoding!).toString(), 'binary/encrypted');
    } finally {
      await connection.close();
    }
  });
});
