import { SseDecoder } from '../../src/providers/sse';

export interface StreamedReply {
  status: number;
  headers: Headers;
  /** Parsed data events, `[DONE]` excluded. */
  events: any[];
  /** The stream ended with `data: [DONE]`. */
  done: boolean;
  /** The error event, if the stream ended with one. */
  error?: { message: string; code: string; type: string };
  /** Content of choice 0, concatenated. */
  text: string;
  /** When the answer was not SSE (an HTTP error, a 202): the JSON body. */
  json?: any;
  /** ms from the request to the first content chunk, and to the end. */
  firstContentMs?: number;
  totalMs: number;
}

/**
 * POST a `stream: true` chat completion with plain fetch and read the SSE as a strict client would.
 * `abortAfterContentChunks`: hang up after that many content chunks (a disconnecting caller).
 */
export async function streamChat(
  url: string,
  body: Record<string, unknown>,
  headers: Record<string, string>,
  opts: { abortAfterContentChunks?: number } = {},
): Promise<StreamedReply> {
  const started = Date.now();
  const controller = new AbortController();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ ...body, stream: true }),
    signal: controller.signal,
  });
  const out: StreamedReply = { status: res.status, headers: res.headers, events: [], done: false, text: '', totalMs: 0 };
  if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    const text = await res.text();
    out.json = text ? JSON.parse(text) : undefined;
    out.totalMs = Date.now() - started;
    return out;
  }
  const decoder = new SseDecoder();
  const utf8 = new TextDecoder();
  let contentChunks = 0;
  try {
    for await (const piece of res.body as unknown as AsyncIterable<Uint8Array>) {
      for (const e of decoder.push(utf8.decode(piece, { stream: true }))) {
        if (out.done || out.error) throw new Error(`event after the end of the stream: ${e.data}`);
        if (e.data === '[DONE]') {
          out.done = true;
          continue;
        }
        const data = JSON.parse(e.data); // anything garbled fails the test here
        if (data.error) {
          out.error = data.error;
          continue;
        }
        out.events.push(data);
        const content = data.choices?.[0]?.delta?.content;
        if (content) {
          out.firstContentMs ??= Date.now() - started;
          out.text += content;
          if (++contentChunks === opts.abortAfterContentChunks) {
            controller.abort();
            return { ...out, totalMs: Date.now() - started };
          }
        }
      }
    }
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  }
  out.totalMs = Date.now() - started;
  return out;
}
