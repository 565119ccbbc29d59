import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';

/** A Redis URL (this object opens and closes its own connection) or a shared ioredis client. */
export type RedisOption = string | Redis;

export interface CounterStoreOptions {
  redis?: RedisOption;
  /** Called on Redis connection errors; counting continues in process memory meanwhile. */
  onRedisError?: (err: Error) => void;
}

export interface CounterSpec {
  keyPrefix: string;
  points: number;
  durationSeconds: number;
}

/**
 * Makes rate-limiter-flexible counters: in process memory by default, or in Redis so that every
 * gateway process shares them. Redis counters are insured by a memory counter with the same limit:
 * while Redis is unreachable each process enforces the limit on its own instead of refusing all
 * traffic or hanging on a dead connection (degraded, never unlimited).
 */
export class CounterStore {
  private readonly redis?: Redis;
  private readonly ownsRedis: boolean;

  constructor(opts: CounterStoreOptions = {}) {
    this.ownsRedis = typeof opts.redis === 'string';
    if (typeof opts.redis === 'string') {
      // No offline queue: a command while disconnected fails at once and the insurance counter answers.
      this.redis = new Redis(opts.redis, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    } else {
      this.redis = opts.redis;
    }
    const onError = opts.onRedisError ?? (() => {});
    if (this.ownsRedis) this.redis?.on('error', onError);
  }

  get shared(): boolean {
    return this.redis !== undefined;
  }

  counter(spec: CounterSpec): RateLimiterAbstract {
    const base = { keyPrefix: spec.keyPrefix, points: spec.points, duration: spec.durationSeconds };
    const memory = new RateLimiterMemory(base);
    if (!this.redis) return memory;
    return new RateLimiterRedis({ ...base, storeClient: this.redis, insuranceLimiter: memory, rejectIfRedisNotReady: true });
  }

  /**
   * Resolves once Redis is connected (at once in memory mode); call at startup so counts are shared
   * from the first request. Connection errors meanwhile are retried by ioredis, so only a timeout fails.
   */
  async ready(timeoutMs = 10_000): Promise<void> {
    const redis = this.redis;
    if (!redis || redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Redis not ready after ${timeoutMs}ms`)), timeoutMs);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    if (!this.redis || !this.ownsRedis || this.redis.status === 'end') return;
    // quit() waits for pending replies; a client that never connected would only keep reconnecting.
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis?.disconnect());
    else this.redis.disconnect();
  }
}
