import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LedgerCheck } from '../../bench/ledger';
import { lostRequests } from '../../bench/report';

const check = (over: Partial<LedgerCheck>): LedgerCheck => ({
  after: '0 ms, c=50', ok2xxSeen: 100, completedRows: 110, rowsByStatus: { completed: 110 }, lost: 0, lostIds: [],
  unseenCompleted: 10, duplicateIds: 0, workflows: { completed: 110, running: 0, ended: 0 }, ...over,
});

describe("the bench's lost-request count (a 2xx needs its ledger row and its completed workflow)", () => {
  it('is zero when every completed row has a completed workflow and none still runs', () => {
    assert.equal(lostRequests(check({})), 0);
  });

  it('counts 2xx answers without a ledger row', () => {
    assert.equal(lostRequests(check({ lost: 3 })), 3);
  });

  it('counts completed rows whose workflow did not complete, and workflows left running', () => {
    assert.equal(lostRequests(check({ workflows: { completed: 107, running: 0, ended: 3 } })), 3);
    assert.equal(lostRequests(check({ workflows: { completed: 110, running: 2, ended: 0 } })), 2);
  });

  it('falls back to the ledger alone when the workflows were not counted (a peer gateway)', () => {
    assert.equal(lostRequests(check({ workflows: undefined, lost: 1 })), 1);
    assert.equal(lostRequests(undefined), 0);
  });
});
