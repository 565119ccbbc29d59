/**
 * Correctness under load: every 2xx the gateway sent must have exactly one completed ledger row.
 * Request ids come from the x-gatehouse-request-id header, so a missing row is named, not just counted.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import type { WorkflowCounts } from './workflows';

/** Every 2xx the bench saw from our gateway (warm-ups and TTFB requests included). */
export class GatewayTally {
  ok2xx = 0;
  readonly ids = new Set<string>();
  duplicateIds = 0;
  /** 2xx answers without x-gatehouse-request-id: these can only be counted, not matched. */
  withoutId = 0;

  record(status: number, requestId: string | string[] | undefined): void {
    if (status < 200 || status > 299) return;
    this.ok2xx++;
    const id = Array.isArray(requestId) ? requestId[0] : requestId;
    if (id === undefined) {
      this.withoutId++;
      return;
    }
    if (this.ids.has(id)) this.duplicateIds++;
    this.ids.add(id);
  }
}

export interface LedgerCheck {
  after: string;
  ok2xxSeen: number;
  completedRows: number;
  rowsByStatus: Record<string, number>;
  /** 2xx answers with no completed row. */
  lost: number;
  lostIds: string[];
  /** Completed rows whose answer the bench never saw: requests cut off when a cell's clock ran out. */
  unseenCompleted: number;
  /** The same request id on two 2xx answers (should be impossible without Idempotency-Key). */
  duplicateIds: number;
  /** `aiRequest` workflows by status: each completed row must be one completed workflow, none left running. */
  workflows?: WorkflowCounts;
}

const SETTLE_MS = 1_000;
const SETTLE_MAX_MS = 20_000;

export async function checkLedger(file: string, tally: GatewayTally, after: string): Promise<LedgerCheck> {
  // The caller has drained the last cell (settle) already.
  if (!existsSync(file)) throw new Error(`no ledger at ${file}`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rowsByStatus: Record<string, number> = {};
    const byStatus = db.prepare('SELECT status, count(*) AS n FROM requests GROUP BY status').all() as Array<{ status: string; n: number }>;
    for (const r of byStatus) rowsByStatus[r.status] = r.n;
    const completed = new Set(
      (db.prepare("SELECT request_id FROM requests WHERE status='completed'").pluck().all() as string[]),
    );
    const lostIds = [...tally.ids].filter((id) => !completed.has(id));
    // Without ids (a 2xx lacking the header) fall back to counting.
    const lost = tally.withoutId === 0 ? lostIds.length : Math.max(0, tally.ok2xx - completed.size);
    const seenCompleted = tally.ids.size - lostIds.length;
    return {
      after,
      ok2xxSeen: tally.ok2xx,
      completedRows: completed.size,
      rowsByStatus,
      lost,
      lostIds: lostIds.slice(0, 10),
      unseenCompleted: completed.size - seenCompleted,
      duplicateIds: tally.duplicateIds,
    };
  } finally {
    db.close();
  }
}

/**
 * Requests cut off at the end of a cell still finish inside the gateway; wait until the ledger's
 * row count stops moving, so they neither count as lost nor load the next cell.
 */
export async function settle(file: string): Promise<void> {
  const until = Date.now() + SETTLE_MAX_MS;
  let last = -1;
  let stableSince = Date.now();
  while (Date.now() < until) {
    const n = countRows(file);
    if (n !== last) {
      last = n;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= SETTLE_MS) {
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function countRows(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) FROM requests').pluck().get() as number) ?? 0;
  } finally {
    db.close();
  }
}
