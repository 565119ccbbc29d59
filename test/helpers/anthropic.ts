import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatCompletionRequest } from '../../src/config/api';
import { parseConfigObject } from '../../src/config';
import { UpstreamError } from '../../src/providers';
import { deadlinesFromTimeout, type Deadlines } from '../../src/providers/deadlines';
import type { ChatChunk } from '../../src/streaming/chunks';

/** Anthropic's documented Messages API shapes, for the adapter tests (replayed through test/helpers/replay.ts). */
export const MODEL = 'claude-sonnet-4-6';
export const REQ = { model: 'm', messages: [{ role: 'user', content: 'weather in Paris?' }], metadata: { task: 'chat' } } as ChatCompletionRequest;
export const opts = () => ({ signal: new AbortController().signal, timeoutMs: 5000 });
export const streamOpts = (onChunk: (c: ChatChunk) => void = () => {}, deadlines: Deadlines = deadlinesFromTimeout(5000)) => ({ signal: new AbortController().signal, deadlines, onChunk });
export const usage = { input_tokens: 20, output_tokens: 7, cache_read_input_tokens: 100, cache_creation_input_tokens: 30 };
export const message = (content: unknown[], stop_reason: string, u: object = usage) => ({
  id: 'msg_01', type: 'message', role: 'assistant', model: MODEL, content, stop_reason, stop_sequence: null, usage: u,
});
/** One SSE frame as Anthropic sends it: a named event and its JSON. */
export const ev = (data: { type: string } & Record<string, unknown>) => ({ frame: `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n` });
export const anthropicError = (type: string, msg: string) => ({ type: 'error', error: { type, message: msg }, request_id: 'req_011' });

export function configFor(baseUrl: string) {
  return parseConfigObject({
    providers: { claude: { kind: 'anthropic', baseUrl, apiKeyEnv: 'ANTHROPIC_KEY' } },
    models: { m: { provider: 'claude', upstream: MODEL } },
    callers: {},
    routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'm' }],
  });
}

export async function failsWith(p: Promise<unknown>, want: Partial<UpstreamError>): Promise<void> {
  const err = await p.then(
    () => assert.fail('expected an upstream error'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof UpstreamError, `not an UpstreamError: ${String(err)}`);
  for (const [k, v] of Object.entries(want)) assert.deepEqual(err[k as keyof UpstreamError], v, k);
}

/** Answers a non-streamed call never; a streamed one with message_start, then silence. */
export async function startStallServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      if (!text.includes('"stream":true')) return; // silent
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: message([], null as never, { input_tokens: 1, output_tokens: 1 }) })}\n\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
