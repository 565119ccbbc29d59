import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { CounterStore, type CounterStoreOptions } from './counters';
import { retryAfterSeconds, tooManyRequests } from './errors';
import type { LimitsConfig, RateLimitConfig } from './schema';

/**
 * Requests and tokens per minute, per caller, team and route. Each configured limit is one
 * rate-limiter-flexible counter (fixed window that starts with its first hit).
 *
 * Atomicity across buckets: consume-then-refund. All applicable buckets are consumed at once; if any
 * refuses, every bucket gets its points back (the refusing one too, since rate-limiter-flexible counts
 * refused points). Chosen over check-then-consume because that has a read/write race that over-admits
 * under concurrency; consume-then-refund never admits over a limit. Its cost: while a refused request's
 * points are in flight (one round trip), a concurrent request may be refused on quota about to be
 * refunded — a rare false 429 near the limit, never an overshoot.
 */

export type Scope = 'caller' | 'team' | 'route';
export type BucketKind = 'requests' | 'tokens';

export interface RateLimitRequest {
  caller: string;
  team?: string | null;
  route?: string | null;
  /** Estimated tokens for this request (prompt + max output); rounded up to an integer. */
  tokens: number;
}

export type RateLimitHeaders = Record<string, string>;

export interface RateLimitAllowed {
  allowed: true;
  headers: RateLimitHeaders;
}

export interface RateLimiterOptions extends CounterStoreOptions {
  /** Window length; 60 (per minute) unless a test wants a short window. */
  windowSeconds?: number;
}

interface Bucket {
  scope: Scope;
  name: string;
  kind: BucketKind;
  limit: number;
  counter: RateLimiterAbstract;
}

/** One bucket's state after this request: what is left in the window and when the window ends. */
interface BucketState {
  bucket: Bucket;
  points: number;
  remaining: number;
  msBeforeNext: number;
  refused: boolean;
}

export class RateLimiter {
  private readonly store: CounterStore;
  private readonly windowSeconds: number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private limits: LimitsConfig,
    opts: RateLimiterOptions = {},
  ) {
    this.store = new CounterStore(opts);
    this.windowSeconds = opts.windowSeconds ?? 60;
  }

  /**
   * New limits (a reloaded config). Buckets are rebuilt with the new sizes: shared (Redis) counts
   * carry on under the same keys; in-process windows start afresh.
   */
  update(limits: LimitsConfig): void {
    this.limits = limits;
    this.buckets.clear();
  }

  ready(timeoutMs?: number): Promise<void> {
    return this.store.ready(timeoutMs);
  }

  close(): Promise<void> {
    return this.store.close();
  }

  /** Admits the request (consuming its quota) or throws 429 `rate_limit_exceeded` naming the limit. */
  async check(req: RateLimitRequest): Promise<RateLimitAllowed> {
    const tokens = Math.max(0, Math.ceil(req.tokens));
    const needs = this.bucketsFor(req).map((bucket) => ({ bucket, points: bucket.kind === 'requests' ? 1 : tokens }));
    this.refuseIfNeverFits(needs);
    const settled = await Promise.allSettled(needs.map(({ bucket, points }) => consume(bucket, points)));
    const states = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failure = settled.find((r) => r.status === 'rejected');
    if (failure) {
      // A store error (not a refusal): give back what the other buckets took, then surface it.
      await Promise.all(states.map((s) => refund(s)));
      throw failure.reason;
    }
    const refused = states.filter((s) => s.refused);
    if (refused.length === 0) return { allowed: true, headers: headersFor(states) };
    await Promise.all(states.map((s) => refund(s)));
    throw this.refusal(refused, headersFor(states));
  }

  /**
   * The front door's check before a workflow is started: throws the same 429 as `check` when a
   * caller or team bucket is already used up, without consuming anything (the workflow's admission
   * still consumes, so nothing is counted twice and nothing skips the limit; a race past this peek
   * is caught there). Route buckets need the route, known only after admission. A store error lets
   * the request through to admission, which decides.
   */
  async peek(req: { caller: string; team?: string | null }): Promise<void> {
    const buckets = this.bucketsFor({ ...req, route: null, tokens: 0 });
    const states = await Promise.all(buckets.map((b) => peekBucket(b))).catch(() => []);
    const refused = states.filter((s) => s.refused);
    if (refused.length > 0) throw this.refusal(refused, headersFor(states));
  }

  private bucketsFor(req: RateLimitRequest): Bucket[] {
    const scoped: [Scope, string | null | undefined, RateLimitConfig | undefined][] = [
      ['caller', req.caller, this.limits.callers[req.caller]],
      ['team', req.team, req.team ? this.limits.teams[req.team] : undefined],
      ['route', req.route, req.route ? this.limits.routes[req.route] : undefined],
    ];
    const out: Bucket[] = [];
    for (const [scope, name, cfg] of scoped) {
      if (!name || !cfg) continue;
      if (cfg.rpm) out.push(this.bucket(scope, name, 'requests', cfg.rpm));
      if (cfg.tpm) out.push(this.bucket(scope, name, 'tokens', cfg.tpm));
    }
    return out;
  }

  private bucket(scope: Scope, name: string, kind: BucketKind, limit: number): Bucket {
    const id = `${scope}:${name}:${kind}`;
    let b = this.buckets.get(id);
    if (!b) {
      const counter = this.store.counter({ keyPrefix: `gatehouse:rl:${scope}:${kind}`, points: limit, durationSeconds: this.windowSeconds });
      b = { scope, name, kind, limit, counter };
      this.buckets.set(id, b);
    }
    return b;
  }

  /** A request larger than a whole window's tokens would be refused forever: say so instead of "retry later". */
  private refuseIfNeverFits(needs: { bucket: Bucket; points: number }[]): void {
    const tooBig = needs.find((n) => n.points > n.bucket.limit);
    if (!tooBig) return;
    const { bucket, points } = tooBig;
    throw tooManyRequests(
      'rate_limit_exceeded',
      `Request needs ${points} tokens, more than ${describe(bucket, this.windowSeconds)} allows at all`,
      { scope: bucket.scope, name: bucket.name, kind: bucket.kind, retryAfterMs: null, headers: {} },
    );
  }

  private refusal(refused: BucketState[], headers: RateLimitHeaders) {
    const first = refused[0]!;
    const retryAfterMs = Math.max(...refused.map((s) => s.msBeforeNext));
    headers['retry-after'] = retryAfterSeconds(retryAfterMs);
    const which = refused.map((s) => describe(s.bucket, this.windowSeconds)).join('; ');
    return tooManyRequests('rate_limit_exceeded', `Rate limit exceeded: ${which}. Retry in ${headers['retry-after']}s.`, {
      scope: first.bucket.scope,
      name: first.bucket.name,
      kind: first.bucket.kind,
      retryAfterMs,
      headers,
    });
  }
}

/** "team support: 600 requests per minute" */
function describe(b: Bucket, windowSeconds: number): string {
  const per = windowSeconds === 60 ? 'minute' : `${windowSeconds}s`;
  return `${b.scope} ${b.name}: ${b.limit} ${b.kind} per ${per}`;
}

async function consume(bucket: Bucket, points: number): Promise<BucketState> {
  try {
    const res = await bucket.counter.consume(bucket.name, points);
    return { bucket, points, remaining: res.remainingPoints, msBeforeNext: res.msBeforeNext, refused: false };
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err;
    // Left for others = what was used before this request.
    const remaining = Math.max(0, bucket.limit - (err.consumedPoints - points));
    return { bucket, points, remaining, msBeforeNext: err.msBeforeNext, refused: true };
  }
}

/** A bucket's state without taking a point: used up when nothing is left in the window. */
async function peekBucket(bucket: Bucket): Promise<BucketState> {
  const res = await bucket.counter.get(bucket.name);
  const remaining = Math.max(0, bucket.limit - (res?.consumedPoints ?? 0));
  return { bucket, points: 0, remaining, msBeforeNext: res?.msBeforeNext ?? 0, refused: remaining === 0 };
}

async function refund(state: BucketState): Promise<void> {
  if (state.points === 0) return;
  await state.bucket.counter.reward(state.bucket.name, state.points);
  // After the refund this request no longer holds quota in buckets that had admitted it.
  if (!state.refused) state.remaining = Math.min(state.bucket.limit, state.remaining + state.points);
}

/** OpenAI's header names; each kind reports its tightest bucket (least remaining, then smallest limit). */
function headersFor(states: BucketState[]): RateLimitHeaders {
  const headers: RateLimitHeaders = {};
  for (const kind of ['requests', 'tokens'] as const) {
    const tightest = states
      .filter((s) => s.bucket.kind === kind)
      .sort((a, b) => a.remaining - b.remaining || a.bucket.limit - b.bucket.limit)[0];
    if (!tightest) continue;
    headers[`x-ratelimit-limit-${kind}`] = String(tightest.bucket.limit);
    headers[`x-ratelimit-remaining-${kind}`] = String(tightest.remaining);
  }
  return headers;
}
