import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseDecoder, readEventStream, type SseEvent } from '../../src/providers/sse';
import { UpstreamError } from '../../src/providers/upstreamError';

describe('SSE decoder', () => {
  it('splits events on blank lines, across arbitrary read boundaries', () => {
    const d = new SseDecoder();
    const text = 'data: {"a":1}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n';
    const events = [...text].flatMap((ch) => d.push(ch)); // one character per read
    assert.deepEqual(events.map((e) => e.data), ['{"a":1}', '{"b":2}', '[DONE]']);
  });

  it('accepts \\r\\n and \\r line ends, joins multi-line data, ignores comments and other fields', () => {
    const d = new SseDecoder();
    const events = d.push(': keep-alive\r\nid: 7\r\nevent: message\r\ndata: one\r\ndata: two\r\n\r\ndata: x\r\rdata: y\n\n');
    assert.deepEqual(events, [
      { event: 'message', data: 'one\ntwo' },
      { event: null, data: 'x' },
      { event: null, data: 'y' },
    ]);
  });

  it('a comment alone is not an event (keep-alives never count as chunks)', () => {
    assert.deepEqual(new SseDecoder().push(': ping\n\n: ping\n\n'), []);
  });

  it('a last event without its blank line still counts when the body ends', () => {
    const d = new SseDecoder();
    assert.deepEqual(d.push('data: {"tail":true}'), []);
    assert.deepEqual(d.end(), [{ event: null, data: '{"tail":true}' }]);
  });

  it('"data:" without a space and an empty data field are kept as sent', () => {
    assert.deepEqual(new SseDecoder().push('data:{"x":1}\n\ndata:\n\n'), [
      { event: null, data: '{"x":1}' },
      { event: null, data: '' },
    ]);
  });
});

/** A body that sends these byte pieces, then ends (or fails with `fail`); records whether it was cancelled. */
function body(pieces: string[], fail?: Error) {
  const bytes = new TextEncoder();
  const state = { cancelled: false, sent: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (state.sent < pieces.length) c.enqueue(bytes.encode(pieces[state.sent++]!));
      else if (fail) c.error(fail);
      else c.close();
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

describe('readEventStream (shared by every SSE adapter)', () => {
  it('gives every event to take, a multi-byte character split across reads intact, and the unterminated last one at the end', async () => {
    const euro = new TextEncoder().encode('€');
    const b = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('data: one\n\ndata: '));
        c.enqueue(euro.slice(0, 2));
        c.enqueue(euro.slice(2));
        c.enqueue(new TextEncoder().encode('\n\ndata: tail'));
        c.close();
      },
    });
    const seen: SseEvent[] = [];
    const stopped = await readEventStream(b, (events) => (seen.push(...events), false), () => '');
    assert.equal(stopped, false);
    assert.deepEqual(seen.map((e) => e.data), ['one', '€', 'tail']);
  });

  it('stops at once when take says the answer is complete, and cancels the body', async () => {
    const { stream, state } = body(['data: 1\n\n', 'data: [DONE]\n\n', 'data: never read\n\n']);
    const seen: string[] = [];
    const stopped = await readEventStream(stream, (events) => events.some((e) => (seen.push(e.data), e.data === '[DONE]')), () => '');
    assert.equal(stopped, true);
    assert.deepEqual(seen, ['1', '[DONE]']);
    assert.equal(state.cancelled, true);
  });

  it('a read that fails is a connection fault saying how far the stream got', async () => {
    const cut = Object.assign(new Error('terminated'), { cause: { code: 'ECONNRESET' } });
    const { stream } = body(['data: 1\n\n'], cut);
    let n = 0;
    await assert.rejects(
      readEventStream(stream, (events) => ((n += events.length), false), () => `after ${n} chunks`),
      (err: unknown) => err instanceof UpstreamError && err.kind === 'connection' && err.message === 'stream cut after 1 chunks: ECONNRESET',
    );
  });
});
