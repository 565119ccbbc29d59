import type { Db, Sql } from '../db';
import { formatUsd } from '../cost/cost';
import { retryAfterSeconds, tooManyRequests } from './errors';
import type { BudgetConfig, LimitsConfig } from './schema';
import { msUntilNextUtcDay, msUntilNextUtcMonth, utcDay, utcMonth, utcMonthBefore } from './time';
import { budgetSql as q, periodKey, subjectKey, toNanos, toUsd, totalId, type SpendRow, type TotalKey } from './budgetSql';

/**
 * USD budgets per caller and per team, per UTC day and month, in the process's database (src/db).
 *
 * A request reserves its estimated cost before the provider call, then settles to its actual cost or
 * is released if it failed. `reserve` is one transaction (lock the totals, decide, insert): SQLite's
 * write lock (BEGIN IMMEDIATE) serializes it with every other writer on the file; PostgreSQL locks
 * the rows of the caller's and team's running totals (FOR UPDATE), so reserves on the same budgets
 * from any number of processes and machines take turns. Either way the hard budget holds at
 * reservation time (reserved + spent ≤ budget); only a
 * request whose actual cost exceeds its reservation can go past it, by that difference. With
 * `minUsd` a request that does not fit whole reserves what is left instead (at least `minUsd`), and
 * the gateway caps the answer to what was reserved (src/cost/outputCap.ts): the excess is then only
 * the prompt estimate's error.
 *
 * Call `reserve` for every request, budget or not: spend is then known when a budget is added.
 */

export interface ReserveRequest {
  /** The workflow's request id: a retried reserve with the same id counts once. */
  requestId: string;
  caller: string;
  team?: string | null;
  estimateUsd: number;
  /** Reserve less than `estimateUsd`, down to this, when that is all the budgets have left. */
  minUsd?: number;
  now?: Date;
}

/** One budget's remainder now (the metrics' `gatehouse_budget_remaining_usd`). */
export interface BudgetLeft {
  scope: 'caller' | 'team';
  name: string;
  period: 'day' | 'month';
  remainingUsd: number;
}

export type BudgetDecision =
  | { decision: 'ok' }
  /** At or past the `soft` fraction of `budget` (e.g. "team support daily $50.00") after this request. */
  | { decision: 'soft_limit'; budget: string; usedFraction: number };

/** A granted reservation: the decision, what was reserved, and whether any budget applies at all. */
export type Reservation = BudgetDecision & { reservedUsd: number; limited: boolean };

export interface BudgetGuardOptions {
  /**
   * A reservation neither settled nor released after this long stops counting (a crashed worker
   * must not hold budget forever). Default one hour, well past any route's timeouts × attempts.
   */
  reservationTtlMs?: number;
}

/** One applicable budget: a subject, a period and its limit. */
interface BudgetLine {
  label: string;
  subject: string;
  period: string;
  limitUsd: number;
  soft: number;
  resetMs: number;
}

type Verdict = { ok: true; result: BudgetDecision; nanos: number } | { ok: false; line: BudgetLine; spentUsd: number };

export class BudgetGuard {
  private readonly ttlMs: number;

  constructor(
    private limits: LimitsConfig,
    private readonly db: Db,
    opts: BudgetGuardOptions = {},
  ) {
    this.ttlMs = opts.reservationTtlMs ?? 3_600_000;
  }

  /**
   * Reserves `estimateUsd` (or what is left, down to `minUsd`), or throws 429 `budget_exceeded`
   * naming the budget it would break.
   */
  async reserve(req: ReserveRequest): Promise<Reservation> {
    const now = req.now ?? new Date();
    if (!Number.isFinite(req.estimateUsd)) throw new TypeError(`estimateUsd must be a finite number, got ${req.estimateUsd}`);
    const estimateUsd = Math.max(0, req.estimateUsd);
    const minUsd = Math.min(estimateUsd, Math.max(0, req.minUsd ?? estimateUsd));
    await this.expireStale(now.getTime() - this.ttlMs);
    const result = await this.db.transaction((tx) => this.reserveInTransaction(tx, req, estimateUsd, minUsd, now));
    if (result.verdict.ok) return { ...result.verdict.result, reservedUsd: toUsd(result.verdict.nanos), limited: result.limited };
    throw budgetExceeded(result.verdict.line, result.verdict.spentUsd, minUsd);
  }

  /** New budgets (a reloaded config): the next reservation is judged by them; spend so far counts. */
  update(limits: LimitsConfig): void {
    this.limits = limits;
  }

  /** Replaces the reservation by the actual cost. Idempotent: the first settle wins. False if nothing was reserved. */
  settle(requestId: string, actualUsd: number, now: Date = new Date()): Promise<boolean> {
    const actualNanos = toNanos(Math.max(0, actualUsd));
    return this.db.transaction(async (tx) => {
      const row = await q.getRow(tx, requestId, true);
      if (!row || row.state === 'settled') return row !== undefined;
      // An expired reservation no longer counts (usd 0), so its whole actual cost is added back.
      await addToTotals(tx, row, actualNanos - row.usd_nanos);
      await q.settleRow(tx, requestId, actualNanos, now.getTime());
      return true;
    });
  }

  /** Drops the reservation of a failed request; its id may reserve again. A settled request is kept. */
  release(requestId: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const row = await q.getRow(tx, requestId, true);
      if (!row || row.state === 'settled') return false;
      await addToTotals(tx, row, -row.usd_nanos);
      await q.deleteRow(tx, requestId);
      return true;
    });
  }

  /** Spent + reserved USD of a caller or team for `now`'s UTC day and month. */
  async spent(scope: 'caller' | 'team', name: string, now: Date = new Date()): Promise<{ dailyUsd: number; monthlyUsd: number }> {
    const subject = subjectKey(scope, name);
    return {
      dailyUsd: toUsd(await q.getTotal(this.db, { subject, period: periodKey('day', utcDay(now)) })),
      monthlyUsd: toUsd(await q.getTotal(this.db, { subject, period: periodKey('month', utcMonth(now)) })),
    };
  }

  /** Every configured budget's remainder for `now`'s UTC day and month (limit − spent − reserved; may be negative). */
  async remaining(now: Date = new Date()): Promise<BudgetLeft[]> {
    const lines = [
      ...Object.entries(this.limits.callerBudgets).flatMap(([name, b]) => linesFor('caller', name, b, now).map((l) => ({ l, scope: 'caller' as const, name }))),
      ...Object.entries(this.limits.teams).flatMap(([name, t]) => linesFor('team', name, t.budget, now).map((l) => ({ l, scope: 'team' as const, name }))),
    ];
    const out: BudgetLeft[] = [];
    for (const { l, scope, name } of lines) {
      const spent = await q.getTotal(this.db, { subject: l.subject, period: l.period });
      out.push({ scope, name, period: l.period.startsWith('day:') ? 'day' : 'month', remainingUsd: l.limitUsd - toUsd(spent) });
    }
    return out;
  }

  /**
   * Deletes rows and totals older than `keepMonths` full months before `now`'s month. Run once a
   * day cluster-wide (LimitsGate, through src/db/maintenance.ts), not by every process.
   */
  async prune(now: Date = new Date(), keepMonths = 2): Promise<void> {
    const cutoff = utcMonthBefore(now, keepMonths);
    await this.db.transaction(async (tx) => {
      await q.pruneRows(tx, cutoff);
      await q.pruneTotals(tx, cutoff);
    });
  }

  private async reserveInTransaction(tx: Sql, req: ReserveRequest, estimateUsd: number, minUsd: number, now: Date): Promise<{ verdict: Verdict; limited: boolean }> {
    const lines = this.budgetLines(req.caller, req.team ?? null, now);
    const limited = lines.length > 0;
    const row = { caller: req.caller, team: req.team ?? null, day: utcDay(now), month: utcMonth(now) };
    // Every total this reserve may read or change, locked before anything is read.
    const totals = await q.lockTotals(tx, totalKeys(row));
    const existing = await q.getRow(tx, req.requestId);
    if (existing) return { verdict: { ok: true, result: storedDecision(existing), nanos: existing.usd_nanos }, limited };
    const verdict = judge(lines, (k) => totals.get(totalId(k)) ?? 0, toNanos(estimateUsd), toNanos(minUsd));
    if (!verdict.ok) return { verdict, limited };
    const soft = verdict.result.decision === 'soft_limit' ? verdict.result : undefined;
    const usdNanos = verdict.nanos;
    await q.insertRow(tx, {
      requestId: req.requestId,
      ...row,
      usdNanos,
      decision: verdict.result.decision,
      softBudget: soft?.budget ?? null,
      softFraction: soft?.usedFraction ?? null,
      nowMs: now.getTime(),
    });
    await addToTotals(tx, row, usdNanos);
    return { verdict, limited };
  }

  private budgetLines(caller: string, team: string | null, now: Date): BudgetLine[] {
    const lines = linesFor('caller', caller, this.limits.callerBudgets[caller], now);
    if (team) lines.push(...linesFor('team', team, this.limits.teams[team]?.budget, now));
    return lines;
  }

  /** Reservations past their TTL stop counting: each in its own short transaction, re-checked under its row lock. */
  private async expireStale(olderThanMs: number): Promise<void> {
    for (const { request_id } of await q.staleIds(this.db, olderThanMs)) {
      await this.db.transaction(async (tx) => {
        const row = await q.getRow(tx, request_id, true);
        if (!row || row.state !== 'reserved' || row.reserved_at_ms >= olderThanMs) return;
        await addToTotals(tx, row, -row.usd_nanos);
        await q.expireRow(tx, request_id);
      });
    }
  }
}

/** The running totals a spend row counts in: its caller's and team's day and month, in lock order. */
function totalKeys(row: Pick<SpendRow, 'caller' | 'team' | 'day' | 'month'>): TotalKey[] {
  const subjects = [subjectKey('caller', row.caller), ...(row.team ? [subjectKey('team', row.team)] : [])];
  return subjects.flatMap((subject) => [
    { subject, period: periodKey('day', row.day) },
    { subject, period: periodKey('month', row.month) },
  ]);
}

async function addToTotals(tx: Sql, row: Pick<SpendRow, 'caller' | 'team' | 'day' | 'month'>, deltaNanos: number): Promise<void> {
  if (deltaNanos === 0) return;
  for (const k of totalKeys(row)) await q.addTotal(tx, k, deltaNanos);
}

/**
 * Grants `wantNanos`, or the least headroom left across the budgets when that is smaller but at
 * least `minNanos`; else refuses on the tightest budget. Reports the most used soft budget after it.
 */
function judge(lines: BudgetLine[], total: (k: TotalKey) => number, wantNanos: number, minNanos: number): Verdict {
    // Compared in integer nanos: float sums would let a request through on rounding at the exact limit.
    const spent = lines.map((line) => total(line));
    let grant = wantNanos;
    lines.forEach((line, i) => (grant = Math.min(grant, toNanos(line.limitUsd) - (spent[i] ?? 0))));
    if (grant < minNanos) {
      const i = lines.findIndex((line, j) => (spent[j] ?? 0) + minNanos > toNanos(line.limitUsd));
      return { ok: false, line: lines[i] as BudgetLine, spentUsd: toUsd(spent[i] ?? 0) };
    }
    let soft: { budget: string; usedFraction: number } | undefined;
    lines.forEach((line, i) => {
      const usedFraction = ((spent[i] ?? 0) + grant) / toNanos(line.limitUsd);
      if (usedFraction >= line.soft && (!soft || usedFraction > soft.usedFraction)) soft = { budget: line.label, usedFraction };
    });
    return { ok: true, result: soft ? { decision: 'soft_limit', ...soft } : { decision: 'ok' }, nanos: grant };
}

function linesFor(scope: 'caller' | 'team', name: string, budget: BudgetConfig | undefined, now: Date): BudgetLine[] {
  if (!budget) return [];
  const subject = subjectKey(scope, name);
  const lines: BudgetLine[] = [];
  const add = (kind: 'daily' | 'monthly', limitUsd: number | undefined, period: string, resetMs: number) => {
    if (limitUsd === undefined) return;
    lines.push({ label: `${scope} ${name} ${kind} ${formatUsd(limitUsd)}`, subject, period, limitUsd, soft: budget.soft, resetMs });
  };
  add('daily', budget.dailyUsd, periodKey('day', utcDay(now)), msUntilNextUtcDay(now));
  add('monthly', budget.monthlyUsd, periodKey('month', utcMonth(now)), msUntilNextUtcMonth(now));
  return lines;
}

function storedDecision(row: SpendRow): BudgetDecision {
  if (row.decision === 'soft_limit') return { decision: 'soft_limit', budget: row.soft_budget ?? '', usedFraction: row.soft_fraction ?? 0 };
  return { decision: 'ok' };
}

function budgetExceeded(line: BudgetLine, spentUsd: number, estimateUsd: number) {
  const message =
    `Budget exceeded: ${line.label} (spent or reserved ${formatUsd(spentUsd)}, ` +
    `this request up to ${formatUsd(estimateUsd)})`;
  return tooManyRequests('budget_exceeded', message, {
    budget: line.label,
    limitUsd: line.limitUsd,
    spentUsd,
    estimateUsd,
    retryAfterMs: line.resetMs,
    headers: { 'retry-after': retryAfterSeconds(line.resetMs) },
  });
}
