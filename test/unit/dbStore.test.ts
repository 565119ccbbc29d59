import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runDbCommand } from '../../src/cli/db';
import { MIGRATIONS, migrate, migrationStatus, openDatabase } from '../../src/db';
import { claim } from '../../src/db/maintenance';
import { PostgresDb } from '../../src/db/postgres';
import { SqliteDb } from '../../src/db/sqlite';
import { ComparisonStore } from '../../src/store/comparisons';
import { Ledger } from '../../src/store/ledger';
import { pruneLedger, retentionDays } from '../../src/store/retention';
import type { LedgerRow } from '../../src/temporal/contract';
import { DATABASES } from '../helpers/databases';

const row = (requestId: string): LedgerRow => ({
  requestId, caller: 'bot', team: 't', task: 'chat', route: 'chat', model: 'a', status: 'completed', errorCode: null,
  usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 }, latencyMs: 12.6, attempts: [{ model: 'a', outcome: 'ok' }], explanation: null,
});
const unmigrated = (address: string) => (address.startsWith('postgres') ? new PostgresDb(address) : new SqliteDb(address));

for (const target of DATABASES) {
  describe(`the database on ${target.name}: migrations, retention, cluster-wide jobs`, { skip: target.skip }, () => {
    it('migrations apply once, in order; two processes starting at once take turns and both find the schema complete', async () => {
      const address = await target.fresh();
      const [a, b] = [unmigrated(address), unmigrated(address)];
      try {
        const [first, second] = await Promise.all([migrate(a), migrate(b)]);
        assert.deepEqual([...first, ...second].sort((x, y) => x - y), MIGRATIONS.map((m) => m.version), 'each migration applied by exactly one of them');
        assert.deepEqual(await migrate(a), [], 'nothing left to apply');
        const status = await migrationStatus(b);
        assert.equal(status.current, status.latest);
        assert.deepEqual(status.pending, []);
        assert.equal(status.applied.length, MIGRATIONS.length);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('the ledger keeps the first record of a request id, with integer latency and the row as written', async () => {
      const ledger = new Ledger(await target.open());
      assert.equal(await ledger.record(row('once'), 0.5), true);
      assert.equal(await ledger.record({ ...row('once'), status: 'failed' }), false);
      const got = (await ledger.get('once'))!;
      assert.deepEqual([got.status, got.latency_ms, got.cost_usd, got.total_tokens, got.fallback], ['completed', 13, 0.5, 7, 0]);
      assert.match(got.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'ISO-8601 UTC text in both databases');
    });

    it('shadow comparisons: booleans and unknowns round-trip, the first record wins, the window filters by route and version', async () => {
      const store = new ComparisonStore(await target.open());
      const c = {
        requestId: 'cmp-1', route: 'chat', routeTableVersion: 3, primaryModel: 'a', candidateModel: 'c', primaryOk: true, primaryError: null,
        primaryLatencyMs: 10.4, primaryCostUsd: 0.001, primaryValid: null, candidateOk: false, candidateError: 'ProviderServerError',
        candidateLatencyMs: 20, candidateCostUsd: null, candidateValid: false, agreement: 0.25, agreementMethod: 'jaccard',
      };
      await store.record(c);
      await store.record({ ...c, candidateOk: true });
      await store.record({ ...c, requestId: 'cmp-2', route: 'other' });
      const got = (await store.get('cmp-1'))!;
      assert.deepEqual({ ...got, createdAt: undefined }, { ...c, primaryLatencyMs: 10, createdAt: undefined });
      const since = '2000-01-01T00:00:00.000Z';
      assert.deepEqual((await store.comparisons({ route: 'chat', since })).map((x) => x.requestId), ['cmp-1']);
      assert.deepEqual(await store.comparisons({ route: 'chat', since, minVersion: 4 }), []);
    });

    it('retention deletes rows older than the cutoff in batches and keeps the rest', async () => {
      const db = await target.open();
      const ledger = new Ledger(db);
      for (let i = 0; i < 5; i++) await ledger.record(row(`old-${i}`));
      await ledger.record(row('new'));
      await db.run(`UPDATE requests SET created_at = '2020-01-01T00:00:00.000Z' WHERE request_id LIKE 'old-%'`);
      await ledger.refused({ caller: null, team: null, code: 'invalid_api_key', status: 401 }, new Date('2020-01-01T00:00:00Z'));
      await ledger.refused({ caller: null, team: null, code: 'invalid_api_key', status: 401 });
      const deleted = await pruneLedger(db, new Date('2021-01-01T00:00:00Z'), 2);
      assert.equal(deleted, 6, 'five requests (three batches of at most two) and one refusal minute');
      assert.equal((await db.get<{ n: number }>('SELECT count(*) AS n FROM requests'))!.n, 1);
      assert.ok(await ledger.get('new'));
      assert.equal((await ledger.refusals()).length, 1);
    });

    it('a periodic job is claimed once per period, whichever process asks', async () => {
      const address = await target.fresh();
      const [a, b] = [await target.open(address), await target.open(address)];
      const day = 86_400_000;
      const t0 = Date.parse('2025-06-01T03:00:00Z');
      const both = await Promise.all([claim(a, 'prune', day, t0), claim(b, 'prune', day, t0)]);
      assert.deepEqual(both.sort(), [false, true]);
      assert.equal(await claim(b, 'prune', day, t0 + day / 2), false, 'not again the same day');
      assert.equal(await claim(b, 'prune', day, t0 + day), true, 'a day later');
      assert.equal(await claim(a, 'other-job', day, t0), true, 'jobs are claimed apart');
    });

    it('gatehouse db status and migrate', async () => {
      const address = await target.fresh();
      const env = address.startsWith('postgres') ? { DATABASE_URL: address } : { GATEHOUSE_LEDGER: address };
      const lines: string[] = [];
      const out = (l: string) => lines.push(l);
      if (target.name === 'PostgreSQL') {
        assert.equal(await runDbCommand(['status'], env, out, out), 1, 'pending migrations: exit 1');
        assert.match(lines.join('\n'), /schema version: 0 of \d+[\s\S]*pending +1 +ledger/);
      }
      assert.equal(await runDbCommand(['migrate'], env, out, out), 0);
      assert.match(lines.join('\n'), /applied migrations 1, 2, 3, 4, 5/);
      assert.equal(await runDbCommand(['status'], env, out, out), 0);
      assert.match(lines.at(-1)!, /applied +5 /);
      assert.doesNotMatch(lines.join('\n'), /password|secret/);
      assert.equal(await runDbCommand(['frobnicate'], env, out, out), 2);
    });
  });
}

describe('a SQLite ledger from before versioned migrations', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-legacy-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps its rows and gets the later columns, with the fallback flag filled in', async () => {
    const file = join(dir, 'ledger.db');
    const old = new Database(file);
    old.exec(`CREATE TABLE requests (request_id TEXT PRIMARY KEY, caller TEXT, team TEXT, task TEXT, route TEXT, model TEXT, status TEXT NOT NULL,
      error_code TEXT, prompt_tokens INTEGER, completion_tokens INTEGER, total_tokens INTEGER, latency_ms INTEGER NOT NULL, attempts TEXT NOT NULL,
      explanation TEXT, created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))`);
    old.prepare(`INSERT INTO requests (request_id, model, status, latency_ms, attempts) VALUES ('legacy', 'b', 'completed', 5, ?)`).run(JSON.stringify([{ model: 'a' }, { model: 'b' }]));
    old.close();
    const db = await openDatabase(file);
    try {
      const got = (await new Ledger(db).get('legacy'))!;
      assert.deepEqual([got.model, got.fallback, got.cost_usd], ['b', 1, null]);
    } finally {
      await db.close();
    }
  });

  it('GATEHOUSE_LEDGER_RETENTION_DAYS: unset or 0 keeps everything; nonsense is refused at start', () => {
    assert.equal(retentionDays({}), undefined);
    assert.equal(retentionDays({ GATEHOUSE_LEDGER_RETENTION_DAYS: '0' }), undefined);
    assert.equal(retentionDays({ GATEHOUSE_LEDGER_RETENTION_DAYS: '90' }), 90);
    assert.throws(() => retentionDays({ GATEHOUSE_LEDGER_RETENTION_DAYS: 'forever' }), /GATEHOUSE_LEDGER_RETENTION_DAYS/);
  });
});
