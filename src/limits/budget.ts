import Database from 'better-sqlite3';
import { privateFile } from '../store/privateFiles';
import { formatUsd } from '../cost/cost';
import { retryAfterSeconds, tooManyRequests } from './errors';
import type { BudgetConfig, LimitsConfig } from './schema';
import { msUntilNextUtcDay, msUntilNextUtcMonth, utcDay, utcMonth, utcMonthBefore } from './time';
import {
  BUDGET_SCHEMA,
  periodKey,
  prepareBudgetStatements,
  subjectKey,
  toNanos,
  toUsd,
  type BudgetStatements,
  type SpendRow,
} from './budgetSql';

/**
 * USD budgets per caller and per team, per UTC day and month, in SQLite next to the ledger.
 *
 * A request reserves its estimated cost before the provider call, then settles to its actual cost or
 * is released if it failed. `reserve` is one BEGIN IMMEDIATE transaction (read totals, decide,
 * insert), so concurrent reserves, also from other processes on the same file, are serialized by
 * SQLite's write lock: the hard budget holds at reservation time (reserved + spent ≤ budget); only a
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
  private readonly db: Database.Database;
  private readonly ownsDb: boolean;
  private readonly sql: BudgetStatements;
  private readonly ttlMs: number;

  constructor(
    private limits: LimitsConfig,
    database: Database.Database | string,
    opts: BudgetGuardOptions = {},
  ) {
    this.ownsDb = typeof database === 'string';
    this.db = typeof database === 'string' ? openDatabase(database) : database;
    // Another process holding the write lock must make us wait, not fail with SQLITE_BUSY.
    if (this.db.pragma('busy_timeout', { simple: true }) === 0) this.db.pragma('busy_timeout = 5000');
    this.db.exec(BUDGET_SCHEMA);
    this.sql = prepareBudgetStatements(this.db);
    this.ttlMs = opts.reservationTtlMs ?? 3_600_000;
  }

  /**
   * Reserves `estimateUsd` (or what is left, down to `minUsd`), or throws 429 `budget_exceeded`
   * naming the budget it would break.
   */
  reserve(req: ReserveRequest): Reservation {
    const now = req.now ?? new Date();
    if (!Number.isFinite(req.estimateUsd)) throw new TypeError(`estimateUsd must be a finite number, got ${req.estimateUsd}`);
    const estimateUsd = Math.max(0, req.estimateUsd);
    const minUsd = Math.min(estimateUsd, Math.max(0, req.minUsd ?? estimateUsd));
    const result = this.db.transaction(() => this.reserveInTransaction(req, estimateUsd, minUsd, now)).immediate();
    if (result.verdict.ok) return { ...result.verdict.result, reservedUsd: toUsd(result.verdict.nanos), limited: result.limited };
    throw budgetExceeded(result.verdict.line, result.verdict.spentUsd, minUsd);
  }

  /** New budgets (a reloaded config): the next reservation is judged by them; spend so far counts. */
  update(limits: LimitsConfig): void {
    this.limits = limits;
  }

  /** Replaces the reservation by the actual cost. Idempotent: the first settle wins. False if nothing was reserved. */
  settle(requestId: string, actualUsd: number, now: Date = new Date()): boolean {
    const actualNanos = toNanos(Math.max(0, actualUsd));
    return this.db
      .transaction(() => {
        const row = this.sql.getRow.get(requestId) as SpendRow | undefined;
        if (!row || row.state === 'settled') return row !== undefined;
        // An expired reservation no longer counts (usd 0), so its whole actual cost is added back.
        this.addToTotals(row, actualNanos - row.usd_nanos);
        this.sql.settleRow.run(actualNanos, now.getTime(), requestId);
        return true;
      })
      .immediate();
  }

  /** Drops the reservation of a failed request; its id may reserve again. A settled request is kept. */
  release(requestId: string): boolean {
    return this.db
      .transaction(() => {
        const row = this.sql.getRow.get(requestId) as SpendRow | undefined;
        if (!row || row.state === 'settled') return false;
        this.addToTotals(row, -row.usd_nanos);
        this.sql.deleteRow.run(requestId);
        return true;
      })
      .immediate();
  }

  /** Spent + reserved USD of a caller or team for `now`'s UTC day and month. */
  spent(scope: 'caller' | 'team', name: string, now: Date = new Date()): { dailyUsd: number; monthlyUsd: number } {
    const subject = subjectKey(scope, name);
    return {
      dailyUsd: toUsd(this.total(subject, periodKey('day', utcDay(now)))),
      monthlyUsd: toUsd(this.total(subject, periodKey('month', utcMonth(now)))),
    };
  }

  /** Every configured budget's remainder for `now`'s UTC day and month (limit − spent − reserved; may be negative). */
  remaining(now: Date = new Date()): BudgetLeft[] {
    const lines = [
      ...Object.entries(this.limits.callerBudgets).flatMap(([name, b]) => linesFor('caller', name, b, now).map((l) => ({ l, scope: 'caller' as const, name }))),
      ...Object.entries(this.limits.teams).flatMap(([name, t]) => linesFor('team', name, t.budget, now).map((l) => ({ l, scope: 'team' as const, name }))),
    ];
    return lines.map(({ l, scope, name }) => ({
      scope,
      name,
      period: l.period.startsWith('day:') ? ('day' as const) : ('month' as const),
      remainingUsd: l.limitUsd - toUsd(this.total(l.subject, l.period)),
    }));
  }

  /** Deletes rows and totals older than `keepMonths` full months before `now`'s month; call now and then. */
  prune(now: Date = new Date(), keepMonths = 2): void {
    const cutoff = utcMonthBefore(now, keepMonths);
    this.db.transaction(() => {
      this.sql.pruneRows.run(cutoff);
      this.sql.pruneTotals.run(cutoff, cutoff);
    })();
  }

  close(): void {
    if (this.ownsDb) this.db.close();
  }

  private reserveInTransaction(req: ReserveRequest, estimateUsd: number, minUsd: number, now: Date): { verdict: Verdict; limited: boolean } {
    this.expireStale(now.getTime() - this.ttlMs);
    const lines = this.budgetLines(req.caller, req.team ?? null, now);
    const limited = lines.length > 0;
    const existing = this.sql.getRow.get(req.requestId) as SpendRow | undefined;
    if (existing) return { verdict: { ok: true, result: storedDecision(existing), nanos: existing.usd_nanos }, limited };
    const verdict = this.judge(lines, toNanos(estimateUsd), toNanos(minUsd));
    if (!verdict.ok) return { verdict, limited };
    const soft = verdict.result.decision === 'soft_limit' ? verdict.result : undefined;
    const row = { caller: req.caller, team: req.team ?? null, day: utcDay(now), month: utcMonth(now) };
    const usdNanos = verdict.nanos;
    this.sql.insertRow.run({
      requestId: req.requestId,
      ...row,
      usdNanos,
      decision: verdict.result.decision,
      softBudget: soft?.budget ?? null,
      softFraction: soft?.usedFraction ?? null,
      nowMs: now.getTime(),
    });
    this.addToTotals(row, usdNanos);
    return { verdict, limited };
  }

  /**
   * Grants `wantNanos`, or the least headroom left across the budgets when that is smaller but at
   * least `minNanos`; else refuses on the tightest budget. Reports the most used soft budget after it.
   */
  private judge(lines: BudgetLine[], wantNanos: number, minNanos: number): Verdict {
    // Compared in integer nanos: float sums would let a request through on rounding at the exact limit.
    const spent = lines.map((line) => this.total(line.subject, line.period));
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

  private budgetLines(caller: string, team: string | null, now: Date): BudgetLine[] {
    const lines = linesFor('caller', caller, this.limits.callerBudgets[caller], now);
    if (team) lines.push(...linesFor('team', team, this.limits.teams[team]?.budget, now));
    return lines;
  }

  private expireStale(olderThanMs: number): void {
    for (const row of this.sql.staleRows.all(olderThanMs) as SpendRow[]) {
      this.addToTotals(row, -row.usd_nanos);
      this.sql.expireRow.run(row.request_id);
    }
  }

  private addToTotals(row: Pick<SpendRow, 'caller' | 'team' | 'day' | 'month'>, deltaNanos: number): void {
    if (deltaNanos === 0) return;
    const subjects = [subjectKey('caller', row.caller), ...(row.team ? [subjectKey('team', row.team)] : [])];
    for (const subject of subjects) {
      this.sql.addTotal.run(subject, periodKey('day', row.day), deltaNanos);
      this.sql.addTotal.run(subject, periodKey('month', row.month), deltaNanos);
    }
  }

  private total(subject: string, period: string): number {
    return (this.sql.getTotal.get(subject, period) as number | undefined) ?? 0;
  }
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

/** Same settings as the ledger's connection: WAL so readers never block the writer. */
function openDatabase(file: string): Database.Database {
  privateFile(file); // 0600 before SQLite opens it: its -wal and -shm take the same mode
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  return db;
}
