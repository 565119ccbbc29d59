import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfigObject } from '../../src/config';
import { createProviders, type ChatProvider, type UpstreamError } from '../../src/providers';
import { deadlinesFromTimeout } from '../../src/providers/deadlines';
import type { ChatChunk } from '../../src/streaming/chunks';
import { anthropicError, configFor, failsWith, message, MODEL, opts, REQ, startStallServer, streamOpts } from '../helpers/anthropic';
import { startReplayServer, type ReplayServer } from '../helpers/replay';

/**
 * The Anthropic adapter's failures through the real @anthropic-ai/sdk: each documented error body
 * replayed on 127.0.0.1, no server, no key, a rotated key file, deadlines and the caller's abort.
 */
let api: ReplayServer;
let provider: ChatProvider;
before(async () => {
  api = await startReplayServer();
  provider = createProviders(configFor(api.url), { ANTHROPIC_KEY: 'sk-ant-replay' }).get('claude')!;
});
after(() => api.close());

describe('anthropic adapter: errors', () => {
  const cases: Array<[string, number, object, Partial<UpstreamError>, Record<string, string>?]> = [
    ['overloaded 529', 529, anthropicError('overloaded_error', 'Overloaded'), { status: 529, providerCode: 'overloaded_error', message: 'Overloaded' }],
    ['rate limit 429 with retry-after', 429, anthropicError('rate_limit_error', 'Rate limited'), { status: 429, providerCode: 'rate_limit_error', retryAfterMs: 20000 }, { 'retry-after': '20' }],
    ['bad key 401', 401, anthropicError('authentication_error', 'invalid x-api-key'), { status: 401, providerCode: 'authentication_error', message: 'invalid x-api-key' }],
    ['no permission 403', 403, anthropicError('permission_error', 'Your API key does not have permission to use the specified resource.'), { status: 403, providerCode: 'permission_error' }],
    ['prompt too long 400', 400, anthropicError('invalid_request_error', 'prompt is too long: 208310 tokens > 200000 maximum'), { status: 400, providerCode: 'context_length_exceeded' }],
    ['request too large 413', 413, anthropicError('request_too_large', 'Request exceeds the maximum allowed number of bytes.'), { status: 413, providerCode: 'context_length_exceeded' }],
    ['prefill refused 400', 400, anthropicError('invalid_request_error', 'This model does not support assistant message prefill. The conversation must end with a user message.'), { status: 400, providerCode: 'unsupported_prefill' }],
    ['other bad request 400', 400, anthropicError('invalid_request_error', 'messages: text content blocks must be non-empty'), { status: 400, providerCode: 'invalid_request_error', message: 'messages: text content blocks must be non-empty' }],
    ['server error 500', 500, anthropicError('api_error', 'Internal server error'), { status: 500, providerCode: 'api_error' }],
  ];
  for (const [name, status, body, want, headers] of cases) {
    it(`${name}: an http UpstreamError with Anthropic's status, code and message`, async () => {
      api.reply({ status, json: body, ...(headers ? { headers } : {}) });
      await failsWith(provider.complete(MODEL, REQ, opts()), { kind: 'http', ...want });
    });
  }

  it('nothing listening: a connection error; no key configured: the provider\'s 401', async () => {
    const closed = createProviders(configFor('http://127.0.0.1:9'), { ANTHROPIC_KEY: 'k' }).get('claude')!;
    await failsWith(closed.complete(MODEL, REQ, opts()), { kind: 'connection' });
    const keyless = createProviders(configFor(api.url), {}).get('claude')!;
    await failsWith(keyless.complete(MODEL, REQ, opts()), { kind: 'http', status: 401 });
  });

  it('apiKeyFile: the key is read at each call, so a rotated file is used from the next call on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-anthropic-'));
    try {
      const file = join(dir, 'key');
      writeFileSync(file, 'sk-ant-first\n');
      const config = parseConfigObject({ ...configFor(api.url), providers: { claude: { kind: 'anthropic', baseUrl: api.url, apiKeyFile: file } } });
      const p = createProviders(config, {}).get('claude')!;
      api.reply({ json: message([{ type: 'text', text: 'a' }], 'end_turn') }, { json: message([{ type: 'text', text: 'b' }], 'end_turn') });
      await p.complete(MODEL, REQ, opts());
      writeFileSync(`${file}.new`, 'sk-ant-second');
      renameSync(`${file}.new`, file);
      await p.complete(MODEL, REQ, opts());
      assert.deepEqual(api.seen.slice(-2).map((r) => r.headers['x-api-key']), ['sk-ant-first', 'sk-ant-second']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('deadlines: a silent server is a timeout; a stream that stalls after its first event is cut by the idle deadline', async () => {
    const stall = await startStallServer();
    try {
      const p = createProviders(configFor(stall.url), { ANTHROPIC_KEY: 'k' }).get('claude')!;
      await failsWith(p.complete(MODEL, REQ, { signal: new AbortController().signal, timeoutMs: 300 }), { kind: 'timeout' });
      const idle = { headersMs: 2000, firstTokenMs: 2000, idleMs: 300, totalMs: 5000 };
      const seen: ChatChunk[] = [];
      await failsWith(p.stream!(MODEL, REQ, streamOpts((c) => seen.push(c), idle)), { kind: 'timeout', providerCode: 'deadline_idle' });
      assert.equal(seen.length, 1); // the role chunk of message_start
    } finally {
      await stall.close();
    }
  });

  it('the caller\'s own abort mid-stream is passed through, not turned into a provider fault', async () => {
    const stall = await startStallServer();
    try {
      const p = createProviders(configFor(stall.url), { ANTHROPIC_KEY: 'k' }).get('claude')!;
      const ac = new AbortController();
      const reason = new Error('caller went away');
      const err = await p.stream!(MODEL, REQ, { signal: ac.signal, deadlines: deadlinesFromTimeout(5000), onChunk: () => ac.abort(reason) }).catch((e: unknown) => e);
      assert.equal(err, reason);
    } finally {
      await stall.close();
    }
  });
});
