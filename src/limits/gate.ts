import type { ChatMessage } from '../config/api';
import type { Db } from '../db';
import { schedule, type Scheduled } from '../db/maintenance';
import type { LimitsConfig } from './schema';
import { BudgetGuard, type BudgetLeft, type Reservation } from './budget';
import { LoopDetector } from './loopDetector';
import { RateLimiter, type RateLimitHeaders } from './rateLimiter';

export interface LimitsGateOptions {
  /** The process's database: budgets live there (src/db). */
  db: Db;
  /** Shared counters across gateway processes (rate limits, loop detection). */
  redisUrl?: string;
  /** Redis connection errors (counting goes on in process memory meanwhile). */
  onRedisError?: (err: Error) => void;
  /** A failed budget prune (tried again at the next look). */
  onPruneError?: (err: Error) => void;
}

/** Budget rows older than the months budgets look at are dropped once a day, by one process of the cluster. */
const PRUNE_EVERY_MS = 24 * 3600_000;

export interface AdmitLimitsRequest {
  caller: string;
  team: string;
  route: string;
  messages: readonly ChatMessage[];
  /** Estimated prompt tokens + the output budget. */
  tokens: number;
}

/**
 * Every limit a request passes through, in one place the admission activity calls: loop detection,
 * RPM/TPM per caller, team and route, and the budgets (reserve before the call, settle after).
 */
export class LimitsGate {
  private readonly rates: RateLimiter;
  private loops?: LoopDetector;
  private readonly budgets: BudgetGuard;
  /** The daily prune (src/db/maintenance.ts). */
  readonly pruning: Scheduled;
  private readonly counters: { redis?: string; onRedisError?: (err: Error) => void };

  constructor(
    private limits: LimitsConfig,
    opts: LimitsGateOptions,
  ) {
    const counters = { redis: opts.redisUrl, onRedisError: opts.onRedisError };
    this.counters = counters;
    this.rates = new RateLimiter(limits, counters);
    this.loops = limits.loop ? new LoopDetector(limits.loop, counters) : undefined;
    this.budgets = new BudgetGuard(limits, opts.db);
    // One budget row per request: without pruning the table grows with every request forever.
    this.pruning = schedule(opts.db, 'budget-prune', PRUNE_EVERY_MS, () => this.budgets.prune(), opts.onPruneError ?? (() => {}));
  }

  /** New limits from a reloaded config: the next request is judged by them. */
  update(limits: LimitsConfig): void {
    if (JSON.stringify(limits.loop) !== JSON.stringify(this.limits.loop)) {
      const old = this.loops;
      this.loops = limits.loop ? new LoopDetector(limits.loop, this.counters) : undefined;
      void old?.close();
    }
    this.limits = limits;
    this.rates.update(limits);
    this.budgets.update(limits);
  }

  async ready(): Promise<void> {
    await Promise.all([this.rates.ready(), this.loops?.ready()]);
  }

  /** Throws 429 (`loop_detected`, `rate_limit_exceeded`); returns the x-ratelimit-* headers. */
  async admit(req: AdmitLimitsRequest): Promise<RateLimitHeaders> {
    await this.loops?.check({ caller: req.caller, messages: req.messages });
    const { headers } = await this.rates.check({ caller: req.caller, team: req.team, route: req.route, tokens: req.tokens });
    return headers;
  }

  /** The front door's cheap refusal: 429 when the caller's or team's rate limit is used up already (consumes nothing). */
  async refuseIfExhausted(caller: string, team: string): Promise<void> {
    await this.rates.peek({ caller, team });
  }

  /**
   * Throws 429 `budget_exceeded`; `soft_limit` asks the planner for the cheaper option. With `minUsd`,
   * reserves what is left when the estimate does not fit (the answer is then capped to it).
   */
  reserve(requestId: string, caller: string, team: string, estimateUsd: number, minUsd?: number): Promise<Reservation> {
    return this.budgets.reserve({ requestId, caller, team, estimateUsd, minUsd });
  }

  /** What every configured budget has left now (read at metrics scrape time). */
  budgetsRemaining(): Promise<BudgetLeft[]> {
    return this.budgets.remaining();
  }

  async settle(requestId: string, actualUsd: number): Promise<void> {
    await this.budgets.settle(requestId, actualUsd);
  }

  async release(requestId: string): Promise<void> {
    await this.budgets.release(requestId);
  }

  async close(): Promise<void> {
    await Promise.all([this.pruning.stop(), this.rates.close(), this.loops?.close()]);
  }
}
