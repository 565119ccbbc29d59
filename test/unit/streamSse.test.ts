import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseDecoder } from '../../src/providers/sse';

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
