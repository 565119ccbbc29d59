import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { GatewayError } from '../../src/errors';
import { BudgetGuard, LimitsGate, LimitsSchema, type BudgetGuardOptions, type LimitsConfig, type ReserveRequest } from '../../src/limits';
import { DATABASES } from '../helpers/databases';

const limits = LimitsSchema.parse({
  teams: { support: { budget: { dailyUsd: 10, monthlyUsd: 100, soft: 0.8 } } },
  callerBudgets: { bot: { dailyUsd: 1, monthlyUsd: 2.5 }, monthly: { monthlyUsd: 1 } },
});
const at = (iso: string) => new Date(iso);
let ids = 0;
const req = (r: Partial<ReserveRequest> & { estimateUsd: number; now: Date }): ReserveRequest => ({ requestId: `r${ids++}`, caller: 'bot', ...r });

/** A request that completed at its estimate (unsettled reservations expire after an hour). */
async function spend(g: BudgetGuard, r: ReserveRequest) {
  const decision = await await g.reserve(r);
  await await g.settle(r.requestId, r.estimateUsd);
  return decision;
}

async function refused(fn: () => Promise<unknown>): Promise<GatewayError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof GatewayError, String(err));
    assert.equal(err.status, 429);
    assert.equal(err.code, 'budget_exceeded');
    return err;
  }
  assert.fail('expected budget_exceeded');
}

for (const target of DATABASES) describe(`BudgetGuard on ${target.name}`, { skip: target.skip }, () => {
  const guard = async (l: LimitsConfig, opts?: BudgetGuardOptions) => new BudgetGuard(l, await target.open(), opts);

  it('daily budget: refuses past the limit, resets at UTC midnight, names the budget', async () => {
    const g = await guard(limits);
    const day1 = at('2025-01-30T10:00:00Z');
    await spend(g, req({ estimateUsd: 0.6, now: day1 }));
    const err = await refused(() => g.reserve(req({ estimateUsd: 0.6, now: day1 })));
    assert.match(err.message, /caller bot daily \$1\.00/);
    const m = err.meta as { retryAfterMs: number; headers: Record<string, string> };
    assert.equal(m.retryAfterMs, 14 * 3600 * 1000);
    assert.equal(m.headers['retry-after'], String(14 * 3600));
    assert.deepEqual(await spend(g, req({ estimateUsd: 0.4, now: day1 })), { decision: 'soft_limit', budget: 'caller bot daily $1.00', usedFraction: 1, reservedUsd: 0.4, limited: true });
    const day2 = at('2025-01-31T00:00:00Z');
    assert.equal((await g.reserve(req({ estimateUsd: 0.6, now: day2 }))).decision, 'ok');
    assert.deepEqual(await g.spent('caller', 'bot', day2), { dailyUsd: 0.6, monthlyUsd: 1.6 });
  });

  it('a small budget reads as itself in the refusal: $0.002, never $0.00', async () => {
    const tiny = LimitsSchema.parse({ callerBudgets: { bot: { dailyUsd: 0.002 } } });
    const g = await guard(tiny);
    const day = at('2025-01-30T10:00:00Z');
    await spend(g, req({ estimateUsd: 0.0015, now: day }));
    const err = await refused(() => g.reserve(req({ estimateUsd: 0.0015, now: day })));
    assert.match(err.message, /caller bot daily \$0\.002 \(spent or reserved \$0\.0015, this request up to \$0\.0015\)/);
  });

  it('monthly budget: refuses across days of the month, resets at the UTC month', async () => {
    const g = await guard(limits);
    const caller = 'monthly';
    await spend(g, req({ caller, estimateUsd: 0.5, now: at('2025-01-05T12:00:00Z') }));
    await spend(g, req({ caller, estimateUsd: 0.5, now: at('2025-01-20T12:00:00Z') }));
    const err = await refused(() => g.reserve(req({ caller, estimateUsd: 0.1, now: at('2025-01-31T23:59:00Z') })));
    assert.match(err.message, /caller monthly monthly \$1\.00/);
    assert.equal((err.meta as { retryAfterMs: number }).retryAfterMs, 60_000);
    assert.equal((await g.reserve(req({ caller, estimateUsd: 0.1, now: at('2025-02-01T00:00:00Z') }))).decision, 'ok');
  });

  it('team budget is shared by its callers, with a soft limit at 80%', async () => {
    const g = await guard(limits);
    const now = at('2025-03-01T08:00:00Z');
    assert.equal((await g.reserve(req({ caller: 'a', team: 'support', estimateUsd: 7, now }))).decision, 'ok');
    const soft = await g.reserve(req({ caller: 'b', team: 'support', estimateUsd: 1, now }));
    assert.deepEqual(soft, { decision: 'soft_limit', budget: 'team support daily $10.00', usedFraction: 0.8, reservedUsd: 1, limited: true });
    const err = await refused(() => g.reserve(req({ caller: 'c', team: 'support', estimateUsd: 2.5, now })));
    assert.match(err.message, /team support daily \$10\.00/);
    await g.reserve(req({ caller: 'c', team: 'support', estimateUsd: 2, now })); // exactly the limit is allowed
    assert.deepEqual(await g.spent('team', 'support', now), { dailyUsd: 10, monthlyUsd: 10 });
  });

  it('remaining: every configured budget line, limit minus spent and reserved, for the day and month of `now`', async () => {
    const g = await guard(limits);
    const now = at('2025-03-01T08:00:00Z');
    await spend(g, req({ caller: 'bot', team: 'support', estimateUsd: 0.25, now }));
    await g.reserve(req({ caller: 'bot', team: 'support', estimateUsd: 0.5, now })); // reserved, not settled: counts
    const lines = await g.remaining(now);
    const left = (scope: string, name: string, period: string) => lines.find((b) => b.scope === scope && b.name === name && b.period === period)?.remainingUsd;
    assert.equal(left('caller', 'bot', 'day'), 0.25);
    assert.equal(left('caller', 'bot', 'month'), 1.75);
    assert.equal(left('caller', 'monthly', 'month'), 1);
    assert.equal(left('caller', 'monthly', 'day'), undefined, 'no daily budget configured: no line');
    assert.equal(left('team', 'support', 'day'), 9.25);
    assert.equal((await g.remaining(at('2025-03-02T00:00:00Z'))).find((b) => b.name === 'bot' && b.period === 'day')?.remainingUsd, 1, 'a new UTC day');
  });

  it('reserve is idempotent on requestId and returns the first decision', async () => {
    const g = await guard(limits);
    const now = at('2025-03-02T08:00:00Z');
    const first = await g.reserve({ requestId: 'same', caller: 'bot', estimateUsd: 0.9, now });
    assert.equal(first.decision, 'soft_limit');
    assert.deepEqual(await g.reserve({ requestId: 'same', caller: 'bot', estimateUsd: 0.9, now }), first);
    assert.equal((await g.spent('caller', 'bot', now)).dailyUsd, 0.9);
  });

  it('settle replaces the estimate (first settle wins); release drops it and frees the id', async () => {
    const g = await guard(limits);
    const now = at('2025-03-03T08:00:00Z');
    await g.reserve({ requestId: 's', caller: 'bot', team: 'support', estimateUsd: 0.8, now });
    assert.equal(await g.settle('s', 0.25), true);
    assert.equal(await g.settle('s', 5), true);
    assert.deepEqual(await g.spent('caller', 'bot', now), { dailyUsd: 0.25, monthlyUsd: 0.25 });
    assert.equal((await g.spent('team', 'support', now)).dailyUsd, 0.25);
    assert.equal(await g.release('s'), false, 'a settled request is never released');

    await g.reserve({ requestId: 'f', caller: 'bot', estimateUsd: 0.7, now });
    assert.equal(await g.release('f'), true);
    assert.equal(await g.release('f'), false);
    assert.equal((await g.spent('caller', 'bot', now)).dailyUsd, 0.25);
    await g.reserve({ requestId: 'f', caller: 'bot', estimateUsd: 0.7, now }); // a re-run after a failure counts again
    assert.equal((await g.spent('caller', 'bot', now)).dailyUsd, 0.95);
    assert.equal(await g.settle('never-reserved', 1), false);
  });

  it('a reservation never settled stops counting after its TTL, but a late settle still counts', async () => {
    const g = await guard(limits, { reservationTtlMs: 60_000 });
    const t0 = at('2025-03-04T08:00:00Z');
    await g.reserve({ requestId: 'lost', caller: 'bot', estimateUsd: 0.9, now: t0 });
    await refused(() => g.reserve(req({ estimateUsd: 0.2, now: t0 })));
    const later = at('2025-03-04T08:02:00Z');
    await g.reserve({ requestId: 'next', caller: 'bot', estimateUsd: 0.2, now: later });
    assert.equal((await g.spent('caller', 'bot', later)).dailyUsd, 0.2);
    await g.settle('lost', 0.3);
    assert.equal((await g.spent('caller', 'bot', later)).dailyUsd, 0.5);
  });

  it('prune drops old months only', async () => {
    const g = await guard(limits);
    await spend(g, req({ estimateUsd: 0.5, now: at('2025-01-10T00:00:00Z') }));
    await spend(g, req({ estimateUsd: 0.5, now: at('2025-03-10T00:00:00Z') }));
    await g.prune(at('2025-04-01T00:00:00Z'), 1);
    assert.equal((await g.spent('caller', 'bot', at('2025-01-10T00:00:00Z'))).monthlyUsd, 0);
    assert.equal((await g.spent('caller', 'bot', at('2025-03-10T00:00:00Z'))).monthlyUsd, 0.5);
  });

  it('a gateway starting on the database prunes budget rows from long-gone months (one row per request otherwise grows forever)', async () => {
    const db = await target.open();
    const g = new BudgetGuard(limits, db);
    await spend(g, req({ estimateUsd: 0.5, now: at('2020-01-10T00:00:00Z') }));
    const now = new Date();
    await spend(g, req({ estimateUsd: 0.25, now }));
    const gate = new LimitsGate(limits, { db });
    await gate.close();
    assert.equal((await g.spent('caller', 'bot', at('2020-01-10T00:00:00Z'))).monthlyUsd, 0);
    assert.equal((await g.spent('caller', 'bot', now)).monthlyUsd, 0.25);
  });

  it('the daily prune runs once for the cluster: a second process starting the same day skips it', async () => {
    const address = await target.fresh();
    const [one, two] = [await target.open(address), await target.open(address)];
    const g = new BudgetGuard(limits, one);
    const first = new LimitsGate(limits, { db: one });
    await first.close();
    await spend(g, req({ estimateUsd: 0.5, now: at('2020-01-10T00:00:00Z') }));
    const second = new LimitsGate(limits, { db: two }); // another process, the same day
    await second.close();
    assert.equal((await g.spent('caller', 'bot', at('2020-01-10T00:00:00Z'))).monthlyUsd, 0.5, 'not pruned again today');
  });

  it('20 concurrent reserves over two connections to one database: at most N admitted', async () => {
    const address = await target.fresh();
    const budget = LimitsSchema.parse({ callerBudgets: { bot: { dailyUsd: 1 } } });
    const a = new BudgetGuard(budget, await target.open(address));
    const b = new BudgetGuard(budget, await target.open(address));
    const now = at('2025-05-05T12:00:00Z');
    const estimateUsd = 0.15; // N = 6 fit in $1
    const attempts = Array.from({ length: 20 }, (_, i) => async () => (i % 2 ? a : b).reserve({ requestId: `c${i}`, caller: 'bot', estimateUsd, now }));
    const results = await Promise.allSettled(attempts.map((attempt) => attempt()));
    const admitted = results.filter((r) => r.status === 'fulfilled').length;
    const refusals = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.ok(refusals.every((r) => (r.reason as GatewayError).code === 'budget_exceeded'), refusals.map((r) => String(r.reason)).join('\n'));
    assert.equal(admitted, 6);
    const reserved = (await b.spent('caller', 'bot', now)).dailyUsd;
    assert.ok(reserved <= 1 + estimateUsd, `${reserved}`);
  });

  it('two processes reserving at once on the same database never overshoot', async () => {
    const address = await target.fresh();
    await target.open(address); // create the tables before the race
    const startAt = Date.now() + 2500; // time for both processes to boot, then they race
    const [one, two] = await Promise.all([reserveInChild(address, 'p1', startAt), reserveInChild(address, 'p2', startAt)]);
    assert.equal(one + two, 100, `${one} + ${two}`);
  });
});

const run = promisify(execFile);
const LIMITS_MODULE = resolve(__dirname, '../../src/limits');
const DB_MODULE = resolve(__dirname, '../../src/db');

/** A separate node process making 150 reserves of $0.01 (30 at a time) against a $1 daily budget; returns how many were admitted. */
async function reserveInChild(address: string, tag: string, startAt: number): Promise<number> {
  const script = `
    const { BudgetGuard, LimitsSchema } = require(${JSON.stringify(LIMITS_MODULE)});
    const { openDatabase } = require(${JSON.stringify(DB_MODULE)});
    (async () => {
      const db = await openDatabase(${JSON.stringify(address)});
      const guard = new BudgetGuard(LimitsSchema.parse({ callerBudgets: { bot: { dailyUsd: 1 } } }), db);
      while (Date.now() < ${startAt}) {} // both processes start reserving together
      let admitted = 0;
      const one = async (i) => {
        try { await guard.reserve({ requestId: '${tag}-' + i, caller: 'bot', estimateUsd: 0.01, now: new Date('2025-06-06T12:00:00Z') }); admitted++; }
        catch (err) { if (err.code !== 'budget_exceeded') throw err; }
      };
      for (let i = 0; i < 150; i += 30) await Promise.all(Array.from({ length: 30 }, (_, j) => one(i + j)));
      await db.close();
      console.log(admitted);
    })().catch((err) => { console.error(err); process.exit(1); });`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--eval', script]);
  return Number(stdout.trim());
}
