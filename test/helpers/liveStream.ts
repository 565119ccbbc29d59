import { SseDecoder } from '../../src/providers/sse';

/** One parsed SSE data event (`[DONE]` as the string). */
export type LiveEvent = any;

export interface LiveStream {
  status: number;
  headers: Headers;
  /** The next data event, or undefined at the end of the response. */
  next(): Promise<LiveEvent | undefined>;
  /** The next event that carries content (its text), or undefined at the end; other events are kept in `events`. */
  nextContent(): Promise<string | undefined>;
  /** Every event read so far. */
  events: LiveEvent[];
  /** Hang up. */
  abort(): void;
}

/**
 * A `stream: true` chat completion read one event at a time, so a test can act between events
 * (release the provider's next word, hang up) and assert on the order things happened in.
 */
export async function openStream(url: string, body: Record<string, unknown>, headers: Record<string, string>): Promise<LiveStream> {
  const controller = new AbortController();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ ...body, stream: true }),
    signal: controller.signal,
  });
  const reader = (res.body as unknown as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const decoder = new SseDecoder();
  const utf8 = new TextDecoder();
  const queued: LiveEvent[] = [];
  const events: LiveEvent[] = [];
  const next = async (): Promise<LiveEvent | undefined> => {
    while (queued.length === 0) {
      const piece = await reader.next().catch(() => ({ done: true as const, value: undefined }));
      if (piece.done) return undefined;
      for (const e of decoder.push(utf8.decode(piece.value, { stream: true }))) queued.push(e.data === '[DONE]' ? '[DONE]' : JSON.parse(e.data));
    }
    const event = queued.shift();
    events.push(event);
    return event;
  };
  const nextContent = async (): Promise<string | undefined> => {
    for (let e = await next(); e !== undefined; e = await next()) {
      const content = e?.choices?.[0]?.delta?.content;
      if (content) return content as string;
    }
    return undefined;
  };
  return { status: res.status, headers: res.headers, next, nextContent, events, abort: () => controller.abort() };
}

/** Reads to the end: the whole content (events read before included), whether it ended with [DONE], and the error event if any. */
export async function drain(stream: LiveStream): Promise<{ text: string; done: boolean; error?: { code: string }; contentEvents: number }> {
  while ((await stream.next()) !== undefined);
  const content = stream.events.map((e) => e?.choices?.[0]?.delta?.content).filter(Boolean) as string[];
  const error = stream.events.find((e) => e?.error)?.error;
  return { text: content.join(''), done: stream.events.includes('[DONE]'), ...(error ? { error } : {}), contentEvents: content.length };
}
