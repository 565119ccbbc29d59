import type { Logger } from 'pino';
import type { AttemptStream, StreamRegistry } from './registry';
import { RelayOrder, parseFrame, type RelayNames, type RelaySeal } from './relayMessage';

/** Bytes a feed takes in before its caller is confirmed as the owner (held back meanwhile). */
const MAX_UNCONFIRMED_BYTES = 1 << 20;

export interface FeedHooks {
  /** The subscription was confirmed (chunks go straight to the caller, not to a backlog). */
  live(): boolean;
  /** The caller reads too slowly (its connection's buffer is full): stop feeding live chunks. */
  congested(): boolean;
}

/**
 * One front door's end of the relay for one request: checks each message's order, then opens,
 * feeds and finishes the tries in the local registry as a local provider call would. A message out
 * of order or missing, unreadable, or more than the caller can take, *breaks* the feed: nothing more
 * is shown live, and the end of the stream comes from the workflow's result (src/streaming/resync.ts).
 */
export class RelayFeed {
  private readonly order = new RelayOrder();
  private readonly tries = new Map<string, AttemptStream>();
  private readonly waiters = new Set<() => void>();
  private unconfirmedBytes = 0;
  private closed = false;
  /** Why the live stream can no longer be trusted (undefined: it can). */
  broken?: string;

  constructor(
    private readonly seal: RelaySeal,
    readonly names: RelayNames,
    private readonly requestId: string,
    private readonly streams: StreamRegistry,
    private readonly hooks: FeedHooks,
    private readonly logger: Logger,
    private readonly onClose: (feed: RelayFeed) => void,
    private readonly relay: { stop(names: RelayNames): void; forget(names: RelayNames): void },
  ) {}

  onFrame(frame: Buffer): void {
    if (this.broken || this.closed) return;
    const parsed = parseFrame(frame);
    const message = parsed && this.seal.open(this.names.channel, parsed.sealed);
    if (!parsed || !message) return this.break('unreadable message');
    const verdict = this.order.accept(parsed.seq, message);
    if (verdict !== 'ok') return this.break(verdict);
    if (!this.hooks.live() && (this.unconfirmedBytes += frame.length) > MAX_UNCONFIRMED_BYTES) return this.break('backlog over its bound');
    if (this.hooks.congested()) return this.break('caller reads too slowly');
    let stream = this.tries.get(message.try);
    if (!stream) {
      const info = { model: message.model, attempt: message.attempt, ...(message.continues ? { continues: true } : {}) };
      stream = this.streams.open(this.requestId, info, () => this.relay.stop(this.names));
      this.tries.set(message.try, stream);
    }
    for (const chunk of message.chunks) stream.push(chunk);
    if (message.finish) {
      stream.finish();
      this.wake();
    }
  }

  /** The caller (the confirmed owner) hung up: every try of the request stops. */
  hangUp(): void {
    this.relay.stop(this.names);
  }

  /** Resolves once `done()` holds, the feed breaks, or `ms` pass: the result may overtake the last messages. */
  async settle(done: () => boolean, ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!done() && !this.broken && !this.closed && Date.now() < until) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, until - Date.now());
        this.waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Stop listening; `over`: the request has ended, its state can go. */
  close(over = false): void {
    if (this.closed) return;
    this.closed = true;
    this.wake();
    if (over) this.relay.forget(this.names);
    this.onClose(this);
  }

  private break(why: string): void {
    this.broken = why;
    this.logger.warn({ requestId: this.requestId, why }, 'stream relay lost track; the rest of the answer comes from the workflow result');
    this.wake();
  }

  private wake(): void {
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const w of waiting) w();
  }
}
