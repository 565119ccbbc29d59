import { costOf, priceFor, priceOverridesFromModels } from '../src/cost';
import type { LedgerRow } from '../src/temporal/contract';
import type { ActivityDeps } from './deps';

export interface Recorded {
  costUsd: number;
}

export function createLedgerActivities(deps: ActivityDeps) {
  return {
    /**
     * Prices the answer from the provider's reported usage, settles (or releases) the budget
     * reservation and writes the ledger row. Idempotent on the request id: a retried activity or a
     * replayed workflow leaves one row and one settlement.
     */
    async recordOutcome(row: LedgerRow): Promise<Recorded> {
      const costUsd = row.usage && row.pricedAs ? priceUsage(deps, row) : 0;
      if (row.status === 'completed') deps.limits.settle(row.requestId, costUsd);
      else deps.limits.release(row.requestId);
      deps.ledger.record(row, costUsd);
      // A canary outcome may trip the route's automatic rollback (checked off this request's path).
      if (row.stage === 'canary' && row.route) deps.release?.autoRollback.afterOutcome(row.route, 'canary');
      return { costUsd };
    },
  };
}

function priceUsage(deps: ActivityDeps, row: LedgerRow): number {
  const overrides = priceOverridesFromModels(deps.config().models);
  return costOf(row.usage!, priceFor(row.pricedAs!.providerKind, row.pricedAs!.upstream, overrides));
}
