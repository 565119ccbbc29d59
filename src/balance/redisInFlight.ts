import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { SharedInFlight } from './deploymentLoad';

const PREFIX = 'gatehouse:inflight:';
/** A call older than this counts no more: the member a crashed process left behind expires on its own. */
const STALE_MS = 15 * 60_000;
const REFRESH_MS = 250;

/**
 * In-flight calls per deployment across every process sharing Redis (`least-busy`): a sorted set
 * per deployment, one member per running call scored by its start. Writes are fire-and-forget and
 * counts are read in the background, so planning never waits on Redis; an unreachable Redis
 * leaves the planner on this process's own counts.
 */
export class RedisInFlight implements SharedInFlight {
  private readonly counts = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private readonly process = randomUUID();

  /** On the worker's shared connection (its owner closes it). */
  constructor(private readonly redis: Redis) {
    this.timer = setInterval(() => void this.refresh().catch(() => {}), REFRESH_MS);
    this.timer.unref();
  }

  started(key: string, callId: string): void {
    this.redis.zadd(PREFIX + key, Date.now(), this.member(callId)).catch(() => {});
    if (!this.counts.has(key)) this.counts.set(key, 0); // read from the next refresh on
  }

  finished(key: string, callId: string): void {
    this.redis.zrem(PREFIX + key, this.member(callId)).catch(() => {});
  }

  count(key: string): number | undefined {
    return this.connected ? this.counts.get(key) : undefined;
  }

  get connected(): boolean {
    return this.redis.status === 'ready';
  }

  /** Every known key's live count in one round trip (old members trimmed first). */
  async refresh(): Promise<void> {
    const keys = [...this.counts.keys()];
    if (!keys.length || !this.connected) return;
    const now = Date.now();
    const tx = this.redis.multi();
    for (const k of keys) tx.zremrangebyscore(PREFIX + k, 0, now - STALE_MS).zcard(PREFIX + k);
    const replies = (await tx.exec()) ?? [];
    keys.forEach((k, i) => {
      const [err, n] = replies[i * 2 + 1] ?? [];
      if (!err && typeof n === 'number') this.counts.set(k, n);
    });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
  }

  private member(callId: string): string {
    return `${this.process}:${callId}`;
  }
}
