/**
 * A small server-sent-events decoder (the WHATWG event-stream format). Our own rather than the SDK's
 * stream iterator because the gateway must see what the SDK hides: whether `[DONE]` arrived, which
 * data line was malformed, and every read (for the idle deadline). Pure: text in, events out.
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
