import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openDatabase } from '../../src/db';
import { Ledger } from '../../src/store/ledger';
import { KEYS, auth, chat, hello, startTestGateway } from '../helpers/gateway';
import { waitFor } from '../helpers/process';

describe('ledger retention in a running gateway (GATEHOUSE_LEDGER_RETENTION_DAYS)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-retention-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('rows older than the retention are deleted at start; new requests are recorded as usual', async () => {
    const file = join(dir, 'ledger.db');
    const db = await openDatabase(file);
    const ledger = new Ledger(db);
    const old = { caller: 'support', team: 'support', task: 'chat', route: 'chat', model: 'small', status: 'completed' as const, errorCode: null, usage: null, latencyMs: 5, attempts: [], explanation: null };
    await ledger.record({ ...old, requestId: 'ancient' });
    await ledger.record({ ...old, requestId: 'recent' });
    await db.run(`UPDATE requests SET created_at = '2020-01-01T00:00:00.000Z' WHERE request_id = 'ancient'`);
    const gw = await startTestGateway({ env: { GATEHOUSE_LEDGER: file, GATEHOUSE_LEDGER_RETENTION_DAYS: '30' } });
    try {
      await waitFor(async () => (await ledger.get('ancient')) === undefined, 10_000, 'the old row to be pruned');
      assert.ok(await ledger.get('recent'), 'a row inside the retention stays');
      const res = await chat(gw.url, hello('after the prune'), auth(KEYS.support));
      assert.equal(res.status, 200, JSON.stringify(res.json));
      await waitFor(async () => (await gw.ledger.get(res.json.gatehouse.request_id)) !== undefined, 10_000, 'the new row');
    } finally {
      await gw.close();
      await db.close();
    }
  });
});
