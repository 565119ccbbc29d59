import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { GatewayError } from '../../src/errors';
import { BudgetGuard, LimitsGate, LimitsSchema, type ReserveRequest } from '../../src/limits';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-budget-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const dbFile = () => join(dir, `ledger-${files++}.db`);

const limits = LimitsSchema.parse({
  teams: { support: { budget: { dailyUsd: 10, monthlyUsd: 100, soft: 0.8 } } },
  callerBudgets: { bot: { dailyUsd: 1, monthlyUsd: 2.5 }, monthly: { monthlyUsd: 1 } },
});
const at = (iso: string) => new Date(iso);
let ids = 0;
const req = (r: Partial<ReserveRequest> & { estimateUsd: number; now: Date }): ReserveRequest => ({ requestId: `r${ids++}`, caller: 'bot', ...r });

/** A request that completed at its estimate (unsettled reservations expire after an hour). */
function spend(g: BudgetGuard, r: ReserveRequest) {
  const decision = g.reserve(r);
  g.settle(r.requestId, r.estimateUsd);
  return decision;
}

function refused(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof GatewayError, String(err));
    assert.equal(err.status, 429);
    assert.equal(err.code, 'budget_exceeded');
    return err;
  }
  assert.fail('expected budget_exceeded');
}

describe('BudgetGuard', () => {
  it('daily budget: refuses past the limit, resets at UTC midnight, names the budget', () => {
    const g = new BudgetGuard(limits, dbFile());
    const day1 = at('2025-01-30T10:00:00Z');
    spend(g, req({ estimateUsd: 0.6, now: day1 }));
    const err = refused(() => g.reserve(req({ estimateUsd: 0.6, now: day1 })));
    assert.match(err.message, /caller bot daily \$1\.00/);
    const m = err.meta as { retryAfterMs: number; headers: Record<string, string> };
    assert.equal(m.retryAfterMs, 14 * 3600 * 1000);
    assert.equal(m.headers['retry-after'], String(14 * 3600));
    assert.deepEqual(spend(g, req({ estimateUsd: 0.4, now: day1 })), { decision: 'soft_limit', budget: 'caller bot daily $1.00', usedFraction: 1, reservedUsd: 0.4, limited: true });
    const day2 = at('2025-01-31T00:00:00Z');
    assert.equal(g.reserve(req({ estimateUsd: 0.6, now: day2 })).decision, 'ok');
    assert.deepEqual(g.spent('caller', 'bot', day2), { dailyUsd: 0.6, monthlyUsd: 1.6 });
    g.close();
  });

  it('a small budget reads as itself in the refusal: $0.002, never $0.00', () => {
    const tiny = LimitsSchema.parse({ callerBudgets: { bot: { dailyUsd: 0.002 } } });
    const g = new BudgetGuard(tiny, dbFile());
    const day = at('2025-01-30T10:00:00Z');
    spend(g, req({ estimateUsd: 0.0015, now: day }));
    const err = refused(() => g.reserve(req({ estimateUsd: 0.0015, now: day })));
    assert.match(err.message, /caller bot daily \$0\.002 \(spent or reserved \$0\.0015, this request up to \$0\.0015\)/);
    g.close();
  });

  it('monthly budget: refuses across days of the month, resets at the UTC month', () => {
    const g = new BudgetGuard(limits, dbFile());
    const caller = 'monthly';
    spend(g, req({ caller, estimateUsd: 0.5, now: at('2025-01-05T12:00:00Z') }));
    spend(g, req({ caller, estimateUsd: 0.5, now: at('2025-01-20T12:00:00Z') }));
    const err = refused(() => g.reserve(req({ caller, estimateUsd: 0.1, now: at('2025-01-31T23:59:00Z') })));
    assert.match(err.message, /caller monthly monthly \$1\.00/);
    assert.equal((err.meta as { retryAfterMs: number }).retryAfterMs, 60_000);
    assert.equal(g.reserve(req({ caller, estimateUsd: 0.1, now: at('2025-02-01T00:00:00Z') })).decision, 'ok');
    g.close();
  });

  it('team budget is shared by its callers, with a soft limit at 80%', () => {
    const g = new BudgetGuard(limits, dbFile());
    const now = at('2025-03-01T08:00:00Z');
    assert.equal(g.reserve(req({ caller: 'a', team: 'support', estimateUsd: 7, now })).decision, 'ok');
    const soft = g.reserve(req({ caller: 'b', team: 'support', estimateUsd: 1, now }));
    assert.deepEqual(soft, { decision: 'soft_limit', budget: 'team support daily $10.00', usedFraction: 0.8, reservedUsd: 1, limited: true });
    const err = refused(() => g.reserve(req({ caller: 'c', team: 'support', estimateUsd: 2.5, now })));
    assert.match(err.message, /team support daily \$10\.00/);
    g.reserve(req({ caller: 'c', team: 'support', estimateUsd: 2, now })); // exactly the limit is allowed
    assert.deepEqual(g.spent('team', 'support', now), { dailyUsd: 10, monthlyUsd: 10 });
    g.close();
  });

  it('remaining: every configured budget line, limit minus spent and reserved, for the day and month of `now`', () => {
    const g = new BudgetGuard(limits, dbFile());
    const now = at('2025-03-01T08:00:00Z');
    spend(g, req({ caller: 'bot', team: 'support', estimateUsd: 0.25, now }));
    g.reserve(req({ caller: 'bot', team: 'support', estimateUsd: 0.5, now })); // reserved, not settled: counts
    const left = (scope: string, name: string, period: string) => g.remaining(now).find((b) => b.scope === scope && b.name === name && b.period === period)?.remainingUsd;
    assert.equal(left('caller', 'bot', 'day'), 0.25);
    assert.equal(left('caller', 'bot', 'month'), 1.75);
    assert.equal(left('caller', 'monthly', 'month'), 1);
    assert.equal(left('caller', 'monthly', 'day'), undefined, 'no daily budget configured: no line');
    assert.equal(left('team', 'support', 'day'), 9.25);
    assert.equal(g.remaining(at('2025-03-02T00:00:00Z')).find((b) => b.name === 'bot' && b.period === 'day')?.remainingUsd, 1, 'a new UTC day');
    g.close();
  });

  it('reserve is idempotent on requestId and returns the first decision', () => {
    const g = new BudgetGuard(limits, dbFile());
    const now = at('2025-03-02T08:00:00Z');
    const first = g.reserve({ requestId: 'same', caller: 'bot', estimateUsd: 0.9, now });
    assert.equal(first.decision, 'soft_limit');
    assert.deepEqual(g.reserve({ requestId: 'same', caller: 'bot', estimateUsd: 0.9, now }), first);
    assert.equal(g.spent('caller', 'bot', now).dailyUsd, 0.9);
    g.close();
  });

  it('settle replaces the estimate (first settle wins); release drops it and frees the id', () => {
    const g = new BudgetGuard(limits, dbFile());
    const now = at('2025-03-03T08:00:00Z');
    g.reserve({ requestId: 's', caller: 'bot', team: 'support', estimateUsd: 0.8, now });
    assert.equal(g.settle('s', 0.25), true);
    assert.equal(g.settle('s', 5), true);
    assert.deepEqual(g.spent('caller', 'bot', now), { dailyUsd: 0.25, monthlyUsd: 0.25 });
    assert.equal(g.spent('team', 'support', now).dailyUsd, 0.25);
    assert.equal(g.release('s'), false, 'a settled request is never released');

    g.reserve({ requestId: 'f', caller: 'bot', estimateUsd: 0.7, now });
    assert.equal(g.release('f'), true);
    assert.equal(g.release('f'), false);
    assert.equal(g.spent('caller', 'bot', now).dailyUsd, 0.25);
    g.reserve({ requestId: 'f', caller: 'bot', estimateUsd: 0.7, now }); // a re-run after a failure counts again
    assert.equal(g.spent('caller', 'bot', now).dailyUsd, 0.95);
    assert.equal(g.settle('never-reserved', 1), false);
    g.close();
  });

  it('a reservation never settled stops counting after its TTL, but a late settle still counts', () => {
    const g = new BudgetGuard(limits, dbFile(), { reservationTtlMs: 60_000 });
    const t0 = at('2025-03-04T08:00:00Z');
    g.reserve({ requestId: 'lost', caller: 'bot', estimateUsd: 0.9, now: t0 });
    refused(() => g.reserve(req({ estimateUsd: 0.2, now: t0 })));
    const later = at('2025-03-04T08:02:00Z');
    g.reserve({ requestId: 'next', caller: 'bot', estimateUsd: 0.2, now: later });
    assert.equal(g.spent('caller', 'bot', later).dailyUsd, 0.2);
    g.settle('lost', 0.3);
    assert.equal(g.spent('caller', 'bot', later).dailyUsd, 0.5);
    g.close();
  });

  it('prune drops old months only', () => {
    const g = new BudgetGuard(limits, dbFile());
    spend(g, req({ estimateUsd: 0.5, now: at('2025-01-10T00:00:00Z') }));
    spend(g, req({ estimateUsd: 0.5, now: at('2025-03-10T00:00:00Z') }));
    g.prune(at('2025-04-01T00:00:00Z'), 1);
    assert.equal(g.spent('caller', 'bot', at('2025-01-10T00:00:00Z')).monthlyUsd, 0);
    assert.equal(g.spent('caller', 'bot', at('2025-03-10T00:00:00Z')).monthlyUsd, 0.5);
    g.close();
  });

  it('a gateway starting on the ledger prunes budget rows from long-gone months (one row per request otherwise grows forever)', async () => {
    const file = dbFile();
    const g = new BudgetGuard(limits, file);
    spend(g, req({ estimateUsd: 0.5, now: at('2020-01-10T00:00:00Z') }));
    const now = new Date();
    spend(g, req({ estimateUsd: 0.25, now }));
    const gate = new LimitsGate(limits, { budgetDb: file });
    await gate.close();
    assert.equal(g.spent('caller', 'bot', at('2020-01-10T00:00:00Z')).monthlyUsd, 0);
    assert.equal(g.spent('caller', 'bot', now).monthlyUsd, 0.25);
    g.close();
  });

  it('20 concurrent reserves over two connections to one file: at most N admitted', async () => {
    const file = dbFile();
    const budget = LimitsSchema.parse({ callerBudgets: { bot: { dailyUsd: 1 } } });
    const a = new BudgetGuard(budget, file);
    const secondConnection = new Database(file);
    const b = new BudgetGuard(budget, secondConnection);
    const now = at('2025-05-05T12:00:00Z');
    const estimateUsd = 0.15; // N = 6 fit in $1
    const attempts = Array.from({ length: 20 }, (_, i) => async () => (i % 2 ? a : b).reserve({ requestId: `c${i}`, caller: 'bot', estimateUsd, now }));
    const results = await Promise.allSettled(attempts.map((attempt) => attempt()));
    const admitted = results.filter((r) => r.status === 'fulfilled').length;
    const refusals = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.ok(refusals.every((r) => (r.reason as GatewayError).code === 'budget_exceeded'));
    assert.equal(admitted, 6);
    const reserved = b.spent('caller', 'bot', now).dailyUsd;
    assert.ok(reserved <= 1 + estimateUsd, `${reserved}`);
    a.close();
    b.close();
    secondConnection.close();
  });

  it('two processes reserving at once on the same file never overshoot', async () => {
    const file = dbFile();
    new BudgetGuard(LimitsSchema.parse({}), file).close(); // create the tables before the race
    const startAt = Date.now() + 2000; // time for both processes to boot, then they race
    const [one, two] = await Promise.all([reserveInChild(file, 'p1', startAt), reserveInChild(file, 'p2', startAt)]);
    assert.equal(one + two, 100, `${one} + ${two}`);
  });
});

const run = promisify(execFile);
const LIMITS_MODULE = resolve(__dirname, '../../src/limits');

/** A separate node process making 150 reserves of $0.01 against a $1 daily budget; returns how many were admitted. */
async function reserveInChild(file: string, tag: string, startAt: number): Promise<number> {
  const script = `
    const { BudgetGuard, LimitsSchema } = require(${JSON.stringify(LIMITS_MODULE)});
    const guard = new BudgetGuard(LimitsSchema.parse({ callerBudgets: { bot: { dailyUsd: 1 } } }), ${JSON.stringify(file)});
    while (Date.now() < ${startAt}) {} // both processes start reserving together
    let admitted = 0;
    for (let i = 0; i < 150; i++) {
      try { guard.reserve({ requestId: '${tag}-' + i, caller: 'bot', estimateUsd: 0.01, now: new Date('2025-06-06T12:00:00Z') }); admitted++; }
      catch (err) { if (err.code !== 'budget_exceeded') throw err; }
    }
    console.log(admitted);`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--eval', script]);
  return Number(stdout.trim());
}
