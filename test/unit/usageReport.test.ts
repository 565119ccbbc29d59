import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatUsage, runUsageCommand } from '../../src/cli/usage';
import { histogramPercentile, usageCsv, usageReport, UsageQuery, type UsageCell } from '../../src/reports/usage';
import { Ledger } from '../../src/store';
import { UsageStore } from '../../src/store/usage';
import { DATABASES } from '../helpers/databases';
import type { LedgerRow } from '../../src/temporal/contract';

const cell = (over: Partial<UsageCell>): UsageCell => ({
  key: 'support', day: '2026-11-29', latencyMs: 100, block: null, requests: 1, errors: 0, denied: 0,
  promptTokens: 10, completionTokens: 5, costUsd: 0.001, fallbacks: 0, cacheHits: 0, savedCostUsd: 0, ...over,
});

describe('usage report: shaping (pure)', () => {
  it('nearest-rank percentiles over a histogram equal those over the expanded values', () => {
    assert.equal(histogramPercentile([[100, 1], [200, 1], [300, 1], [400, 1]], 50), 200);
    assert.equal(histogramPercentile([[100, 1], [200, 1], [300, 1], [400, 1]], 95), 400);
    assert.equal(histogramPercentile([[900, 5], [10, 94], [50, 1]], 95), 50);
    assert.equal(histogramPercentile([[900, 5], [10, 94], [50, 1]], 96), 900);
    assert.equal(histogramPercentile([], 50), null);
  });

  it('sums per group and per day, blocks by reason, and leaves refusals out of latency', () => {
    const r = usageReport('team', '2026-11-23T00:00:00.000Z', '2026-11-30T00:00:00.000Z', [
      cell({ latencyMs: 100, requests: 3, costUsd: 0.003, promptTokens: 30, completionTokens: 15 }),
      cell({ latencyMs: 900, requests: 1, errors: 1, costUsd: 0, promptTokens: 0, completionTokens: 0 }),
      cell({ latencyMs: 2, block: 'policy_denied', requests: 2, denied: 2, costUsd: 0, promptTokens: 0, completionTokens: 0 }),
      cell({ day: '2026-11-28', latencyMs: 400, requests: 1, fallbacks: 1 }),
      cell({ key: 'data', latencyMs: 50, block: 'budget_exceeded', requests: 1, denied: 1, costUsd: 0 }),
      cell({ key: null, latencyMs: 1, block: 'rate_limited', requests: 1, denied: 1, costUsd: 0 }),
    ]);
    assert.deepEqual(r.groups.map((g) => g.key), ['support', 'data', null], 'most requests first');
    const support = r.groups[0]!;
    assert.equal(support.requests, 7);
    assert.equal(support.errors, 1);
    assert.deepEqual(support.blocks, { policy_denied: 2 });
    assert.equal(support.fallbacks, 1);
    assert.equal(support.costUsd, 0.004);
    assert.equal(support.promptTokens, 40);
    assert.equal(support.p50LatencyMs, 100, 'latencies 100,100,100,400,900: the refusals (2 ms) are not counted');
    assert.equal(support.p95LatencyMs, 900);
    assert.deepEqual(support.days.map((d) => [d.day, d.requests]), [['2026-11-28', 1], ['2026-11-29', 6]]);
    assert.equal(r.groups[1]!.p50LatencyMs, null, 'only refusals: no latency');
    assert.deepEqual(r.total.blocks, { policy_denied: 2, budget_exceeded: 1, rate_limited: 1 });
    assert.equal(r.total.requests, 9);
  });

  it('CSV: a header, one line per group and day then the group total, fields quoted when they must be', () => {
    const r = usageReport('caller', 's', 'u', [cell({ key: 'a,"b"', block: 'x', denied: 1 }), cell({ key: 'a,"b"', block: 'y', denied: 1 })]);
    const lines = usageCsv(r).trimEnd().split('\n');
    assert.equal(lines[0], 'caller,day,requests,errors,blocks,tokens_in,tokens_out,cost_usd,p50_ms,p95_ms,fallbacks,cache_hits,saved_usd');
    assert.equal(lines[1], '"a,""b""",2026-11-29,2,0,x=1 y=1,20,10,0.002000,,,0,0,0.000000');
    assert.equal(lines[2], '"a,""b""",all,2,0,x=1 y=1,20,10,0.002000,,,0,0,0.000000');
    assert.equal(lines.length, 3);
  });

  it('the table has a title and aligned columns; an empty window says so', () => {
    const r = usageReport('route', 's', 'u', [cell({ key: 'chat' })]);
    const text = formatUsage(r, 'table').split('\n');
    assert.match(text[0]!, /^Usage by route from s to u: 1 requests, 0\.001000 USD$/);
    assert.match(text[2]!, /^route\s+day\s+requests\s+errors/);
    assert.match(text[3]!, /^chat\s+2026-11-29\s+1\s+0/);
    assert.match(formatUsage(usageReport('route', 's', 'u', []), 'table'), /no requests in this window/);
    assert.deepEqual(JSON.parse(formatUsage(r, 'json')), r);
  });

  it('the query schema takes by and since, defaults them, and refuses anything else', () => {
    assert.deepEqual(UsageQuery.parse({}), { by: 'team', since: '7d' });
    assert.equal(UsageQuery.safeParse({ by: 'prompt' }).success, false);
    assert.equal(UsageQuery.safeParse({ by: ['team', 'route'] }).success, false);
    assert.equal(UsageQuery.safeParse({ by: 'team', extra: '1' }).success, false);
  });
});

describe('gatehouse usage: usage errors before any request', () => {
  it('a bad --by, --format or a stray argument is exit 2 naming the problem; no key is exit 1', async () => {
    for (const [args, said] of [[['--by', 'prompt'], /--by must be one of team, caller, task, route, model/], [['--format', 'xml'], /--format must be one of table, csv, json/], [['team'], /unexpected argument "team"/]] as const) {
      const lines: string[] = [];
      assert.equal(await runUsageCommand([...args], { GATEHOUSE_KEY: 'k', GATEHOUSE_URL: 'http://127.0.0.1:9' }, (l) => lines.push(l), (l) => lines.push(l)), 2);
      assert.match(lines.join('\n'), said);
    }
    const lines: string[] = [];
    assert.equal(await runUsageCommand([], {}, (l) => lines.push(l), (l) => lines.push(l)), 1);
    assert.match(lines.join('\n'), /set GATEHOUSE_KEY to an admin or auditor API key/);
  });
});

for (const target of DATABASES) describe(`usage report: the ledger query on ${target.name}`, { skip: target.skip }, () => {
  const row = (over: Partial<LedgerRow>): LedgerRow => ({
    requestId: `r-${Math.random()}`, caller: 'support', team: 'support', task: 'chat', route: 'chat', model: 'small', status: 'completed',
    errorCode: null, usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }, latencyMs: 120,
    attempts: [{ model: 'small', outcome: 'ok' }], explanation: 'x', ...over,
  } as LedgerRow);

  it('groups the window by team and day in SQL, with the fallback flag and refusal codes', async () => {
    {
      const db = await target.open();
      const ledger = new Ledger(db);
      await ledger.record(row({}), 0.01);
      await ledger.record(row({ model: 'large', latencyMs: 1234, attempts: [{ model: 'small', outcome: 'failed' }, { model: 'large', outcome: 'ok' }] }), 0.02);
      await ledger.record(row({ status: 'denied', errorCode: 'policy_denied', model: null, usage: undefined, latencyMs: 3, attempts: [] }));
      await ledger.record(row({ team: 'data', caller: 'analyst', status: 'failed', errorCode: 'provider_error', usage: undefined }));
      const store = new UsageStore(db);
      const cells = await store.cells('team', '2000-01-01T00:00:00.000Z', '2100-01-01T00:00:00.000Z');
      const r = usageReport('team', '', '', cells);
      const support = r.groups.find((g) => g.key === 'support')!;
      assert.equal(support.requests, 3);
      assert.equal(support.fallbacks, 1);
      assert.deepEqual(support.blocks, { policy_denied: 1 });
      assert.equal(support.costUsd, 0.03);
      assert.equal(support.p95LatencyMs, 1200, 'latency rounded down to two significant digits');
      assert.equal(r.groups.find((g) => g.key === 'data')!.errors, 1);
      assert.equal((await store.cells('team', '2100-01-01T00:00:00.000Z', '2100-01-02T00:00:00.000Z')).length, 0, 'outside the window');
    }
  });
});
