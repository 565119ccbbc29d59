import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ActivityDeps } from '../../activities/deps';
import { writeOutcome } from '../../activities/ledger';
import { Ledger } from '../../src/store/ledger';
import { openDatabase } from '../../src/db';
import type { LedgerRow } from '../../src/temporal/contract';

const row: LedgerRow = {
  requestId: 'req-once', caller: 'support', team: 'support', task: 'chat', route: 'chat', model: 'small',
  status: 'completed', errorCode: null, usage: null, latencyMs: 12, attempts: [], explanation: null,
};

describe('a request is recorded and counted once', () => {
  it('a retried ledger write (the row already there) writes nothing and counts nothing in the metrics', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-ledger-once-'));
    const db = await openDatabase(join(dir, 'ledger.db'));
    const ledger = new Ledger(db);
    try {
      let counted = 0;
      const deps = {
        ledger,
        limits: { settle: async () => {}, release: async () => {} },
        metrics: { requestEnded: () => void counted++ },
        logger: { warn: () => {} },
        config: () => ({ models: {} }),
      } as unknown as ActivityDeps;
      await writeOutcome(deps, row);
      await writeOutcome(deps, row);
      assert.equal(counted, 1);
      assert.equal((await ledger.record(row)), false, 'the row was already there');
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
