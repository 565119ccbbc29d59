import { createHash } from 'node:crypto';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { CounterStore, type CounterStoreOptions } from './counters';
import { retryAfterSeconds, tooManyRequests } from './errors';
import type { LoopConfig } from './schema';

export interface LoopCheck {
  caller: string;
  /** The request's messages as sent; only their hash is kept. */
  messages: unknown;
}

/**
 * Catches runaway agents: the same caller sending the same messages more than `maxRepeats` times in
 * `windowSeconds` is refused with 429 `loop_detected` until the window ends. A counter per
 * (caller, sha256 of the messages) on rate-limiter-flexible, so with Redis all processes count together.
 * With no `loop` config it admits everything.
 */
export class LoopDetector {
  private readonly store: CounterStore;
  private readonly counter?: RateLimiterAbstract;

  constructor(
    private readonly loop: LoopConfig | undefined,
    opts: CounterStoreOptions = {},
  ) {
    this.store = new CounterStore(opts);
    if (loop) {
      this.counter = this.store.counter({ keyPrefix: 'gatehouse:loop', points: loop.maxRepeats, durationSeconds: loop.windowSeconds });
    }
  }

  ready(timeoutMs?: number): Promise<void> {
    return this.store.ready(timeoutMs);
  }

  close(): Promise<void> {
    return this.store.close();
  }

  async check(req: LoopCheck): Promise<void> {
    if (!this.counter || !this.loop) return;
    try {
      await this.counter.consume(`${req.caller}:${promptHash(req.messages)}`, 1);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      const retryAfterMs = err.msBeforeNext;
      const { maxRepeats, windowSeconds } = this.loop;
      throw tooManyRequests(
        'loop_detected',
        `Loop detected: caller ${req.caller} sent the same messages more than ${maxRepeats} times in ${windowSeconds}s`,
        { caller: req.caller, retryAfterMs, headers: { 'retry-after': retryAfterSeconds(retryAfterMs) } },
      );
    }
  }
}

/** Hex sha256 of the messages' JSON (key order as received, which a retrying client repeats exactly). */
export function promptHash(messages: unknown): string {
  return createHash('sha256').update(JSON.stringify(messages ?? null)).digest('hex');
}
