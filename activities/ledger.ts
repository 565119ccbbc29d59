import type { LedgerRow } from '../src/temporal/contract';
import type { ActivityDeps } from './deps';

export function createLedgerActivities(deps: ActivityDeps) {
  return {
    /** Idempotent on the request id, so a retried activity or replayed workflow writes one row. */
    async recordOutcome(row: LedgerRow): Promise<void> {
      deps.ledger.record(row);
    },
  };
}
