import type { FastifyReply } from 'fastify';
import type { SseEvent } from '../streaming/presenter';

/**
 * A server-sent-events response (the events' shape is the presenter's: OpenAI's or Anthropic's).
 * Nothing is written until the first event, so a request that fails before any chunk still answers
 * with a plain HTTP error status and JSON body. After that the status is 200 for good, and a failure
 * can only be an error event: the stream then ends without its end marker (`[DONE]`,
 * `message_stop`), which every client reads as "this answer is not complete".
 */
export class SseResponse {
  private opened = false;
  private closed = false;

  constructor(
    private readonly reply: FastifyReply,
    /** Headers to send with the status line (request id, model, route). */
    private readonly headers: () => Record<string, string>,
  ) {}

  /** True once the status line went out: errors can only be events from here on. */
  get started(): boolean {
    return this.opened;
  }

  /** Nothing more can be written (we ended it, or the caller is gone). */
  get ended(): boolean {
    return this.closed || this.reply.raw.destroyed;
  }

  /** We ended the response ourselves (as opposed to the caller hanging up). */
  get completed(): boolean {
    return this.closed;
  }

  send(events: readonly SseEvent[]): void {
    if (events.length === 0) return;
    this.open();
    this.write(events.map(format).join(''));
  }

  /** The answer is whole: its closing events (they carry the end marker), then the end. */
  done(events: readonly SseEvent[]): void {
    this.send(events);
    this.open();
    this.end();
  }

  /** The answer is not whole: the error event, then the end, no end marker. */
  fail(error: SseEvent): void {
    this.done([error]);
  }

  private open(): void {
    if (this.opened) return;
    this.opened = true;
    this.reply.hijack(); // fastify sends nothing more; the raw response is ours
    this.reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // proxies such as nginx must not buffer the chunks
      ...this.headers(),
    });
  }

  private write(text: string): void {
    if (!this.ended) this.reply.raw.write(text);
  }

  private end(): void {
    if (this.ended) return;
    this.closed = true;
    this.reply.raw.end();
  }
}

function format(e: SseEvent): string {
  const data = typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
  return `${e.event ? `event: ${e.event}\n` : ''}data: ${data}\n\n`;
}
