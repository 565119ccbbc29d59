import { UpstreamError } from './upstreamError';

/**
 * Server-sent events, shared by every adapter whose provider streams SSE (OpenAI and compatibles
 * today; Anthropic and Gemini speak it too). Our own rather than an SDK's stream iterator because the
 * gateway must see what SDKs hide: whether the end marker arrived, which data line was malformed, and
 * every read (for the idle deadline). The decoder is pure (text in, events out); `readEventStream`
 * drives it over a response body.
 */
export interface SseEvent {
  /** `event:` field; null when absent (OpenAI never sets it). */
  event: string | null;
  /** The `data:` lines joined by "\n". */
  data: string;
}

export class SseDecoder {
  private buffer = '';
  private dataLines: string[] = [];
  private eventName: string | null = null;

  /** Feed the next piece of the body; returns the events it completed. */
  push(text: string): SseEvent[] {
    this.buffer += text;
    const events: SseEvent[] = [];
    for (;;) {
      const end = lineEnd(this.buffer);
      if (!end) break;
      const line = this.buffer.slice(0, end.at);
      this.buffer = this.buffer.slice(end.at + end.length);
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  /** The body ended: a last event without its blank line still counts (servers that just close). */
  end(): SseEvent[] {
    const rest = this.buffer;
    this.buffer = '';
    const events = rest === '' ? [] : this.push(`${rest}\n`);
    const last = this.dispatch();
    return last ? [...events, last] : events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined; // comment / keep-alive: not a chunk
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.dataLines.push(value);
    else if (field === 'event') this.eventName = value;
    return undefined; // id / retry / unknown fields mean nothing to a chat stream
  }

  private dispatch(): SseEvent | undefined {
    const event = this.dataLines.length > 0 ? { event: this.eventName, data: this.dataLines.join('\n') } : undefined;
    this.dataLines = [];
    this.eventName = null;
    return event;
  }
}

/** Position and length of the first line terminator (\r\n, \n or \r); a lone trailing \r waits for more. */
function lineEnd(buffer: string): { at: number; length: number } | undefined {
  for (let i = 0; i < buffer.length; i++) {
    const c = buffer[i];
    if (c === '\n') return { at: i, length: 1 };
    if (c === '\r') {
      if (i + 1 === buffer.length) return undefined;
      return { at: i, length: buffer[i + 1] === '\n' ? 2 : 1 };
    }
  }
  return undefined;
}

/**
 * Reads an event-stream body, decoding UTF-8 across reads and events across lines; `take` gets each
 * read's events and returns true when the answer is complete (then reading stops at once rather than
 * wait for a close that may not come). Returns true when `take` stopped it, false when the body
 * ended (its last events still go to `take`). A failed read is the provider's connection fault, said with `progress()` ("after 3 chunks").
 * The reader is cancelled on every way out, which frees the socket when we stop early.
 */
export async function readEventStream(body: ReadableStream<Uint8Array>, take: (events: SseEvent[]) => boolean, progress: () => string): Promise<boolean> {
  const reader = body.getReader();
  const text = new TextDecoder();
  const sse = new SseDecoder();
  try {
    for (;;) {
      const read = await readOrCut(reader, progress);
      if (read.done) break;
      if (take(sse.push(text.decode(read.value, { stream: true })))) return true;
    }
    take(sse.end()); // the body's last events count, but the body ended: the caller judges completeness
    return false;
  } finally {
    reader.cancel().catch(() => {}); // a no-op after the end
  }
}

async function readOrCut(reader: ReadableStreamDefaultReader<Uint8Array>, progress: () => string) {
  try {
    return await reader.read();
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new UpstreamError('connection', `stream cut ${progress()}: ${why}`);
  }
}
