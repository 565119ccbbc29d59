/**
 * On a Temporal server the gateway did not start (TEMPORAL_ADDRESS), make sure its namespace and its
 * search attributes exist, as the dev server's flags guarantee locally: register what is missing
 * through the workflow and operator services, idempotently (two processes starting together both
 * succeed), then wait until the frontend accepts queries on them, since a new namespace and new
 * attributes reach the frontend's namespace cache only at its next refresh (~10 s by default).
 * Temporal Cloud refuses these calls (namespaces and attributes are made in its console): then we
 * say what to add and carry on, as a gateway on an already prepared namespace needs none of it.
 */
import type { NativeConnection } from '@temporalio/worker';
import { msToTs } from '@temporalio/common/lib/time';
import { setTimeout as sleep } from 'node:timers/promises';
import { INDEXED_VALUE_TYPE, type SearchAttributeKind } from './devServer';

/** Retention of closed request workflows in a namespace the gateway registers (the ledger keeps the record after). */
export const NAMESPACE_RETENTION_DAYS = 7;
const GRPC_NOT_FOUND = 5;
const GRPC_ALREADY_EXISTS = 6;
/** Refusals that no retry changes (e.g. Temporal Cloud: attributes are added in its console). */
const GRPC_FINAL = new Set([7 /* PERMISSION_DENIED */, 12 /* UNIMPLEMENTED */, 16 /* UNAUTHENTICATED */]);
const READY_TIMEOUT_MS = 60_000;
const POLL_MS = 250;

type Services = Pick<NativeConnection, 'workflowService' | 'operatorService'>;

export interface EnsureNamespaceOptions {
  namespace: string;
  searchAttributes: Record<string, SearchAttributeKind>;
  log: (msg: string) => void;
  readyTimeoutMs?: number;
}

/** An attribute of another type: the operator must resolve it, so the gateway does not start. */
export class SearchAttributeMismatch extends Error {}

/**
 * What to add: names in `want` absent from `have` (name → IndexedValueType). A name registered with
 * another type is an error the operator must resolve: requests would fail to start with it.
 */
export function missingSearchAttributes(
  have: Record<string, unknown>,
  want: Record<string, SearchAttributeKind>,
  namespace: string,
): Record<string, number> {
  const missing: Record<string, number> = {};
  for (const [name, kind] of Object.entries(want)) {
    const type = INDEXED_VALUE_TYPE[kind];
    const current = have[name];
    if (current === undefined || current === null) missing[name] = type;
    else if (Number(current) !== type) {
      throw new SearchAttributeMismatch(`search attribute ${name} is registered in namespace ${namespace} with IndexedValueType ${String(current)}, but Gatehouse needs ${kind}`);
    }
  }
  return missing;
}

/** The query that proves the frontend knows every attribute (its validation uses the namespace cache). */
export function readinessQuery(names: string[]): string {
  return names.map((n) => `${n} = "gatehouse-readiness-probe"`).join(' AND ');
}

const grpcCode = (err: unknown): number | undefined => (err as { code?: number }).code;

async function registerNamespace(conn: Services, namespace: string, log: (m: string) => void): Promise<boolean> {
  try {
    await conn.workflowService.describeNamespace({ namespace });
    return false;
  } catch (err) {
    if (grpcCode(err) !== GRPC_NOT_FOUND) throw err;
  }
  log(`registering namespace ${namespace} (retention ${NAMESPACE_RETENTION_DAYS} days)`);
  try {
    await conn.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(`${NAMESPACE_RETENTION_DAYS} days`) });
  } catch (err) {
    if (grpcCode(err) !== GRPC_ALREADY_EXISTS) throw err; // another process registered it first: fine
  }
  return true;
}

/**
 * Adds what is missing. A namespace registered a moment ago is "not found" here until the frontend's
 * namespace cache has it, and a concurrent add by another process fails: both are retried.
 */
async function registerSearchAttributes(conn: Services, o: EnsureNamespaceOptions): Promise<boolean> {
  const { namespace } = o;
  const deadline = Date.now() + (o.readyTimeoutMs ?? READY_TIMEOUT_MS);
  let added = false;
  for (;;) {
    try {
      const { customAttributes } = await conn.operatorService.listSearchAttributes({ namespace });
      const missing = missingSearchAttributes(customAttributes ?? {}, o.searchAttributes, namespace);
      if (Object.keys(missing).length === 0) return added;
      o.log(`registering search attributes in namespace ${namespace}: ${Object.keys(missing).join(', ')}`);
      await conn.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
      added = true;
    } catch (err) {
      if (err instanceof SearchAttributeMismatch || GRPC_FINAL.has(grpcCode(err) ?? -1) || Date.now() > deadline) throw err;
      await sleep(POLL_MS);
    }
  }
}

/** Polls a count query over every attribute until the frontend stops refusing it. */
async function untilQueryable(conn: Services, o: EnsureNamespaceOptions): Promise<void> {
  const query = readinessQuery(Object.keys(o.searchAttributes));
  const deadline = Date.now() + (o.readyTimeoutMs ?? READY_TIMEOUT_MS);
  for (;;) {
    try {
      await conn.workflowService.countWorkflowExecutions({ namespace: o.namespace, query });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`namespace ${o.namespace} does not accept its search attributes yet: ${(err as Error).message}`);
    }
    await sleep(POLL_MS);
  }
}

/** Make the namespace and its search attributes exist and usable; best effort where the server refuses. */
export async function ensureNamespace(conn: Services, o: EnsureNamespaceOptions): Promise<void> {
  try {
    const registered = await registerNamespace(conn, o.namespace, o.log);
    const added = await registerSearchAttributes(conn, o);
    if (registered || added) await untilQueryable(conn, o);
  } catch (err) {
    if (err instanceof SearchAttributeMismatch) throw err;
    const names = Object.entries(o.searchAttributes).map(([n, k]) => `${n} (${k})`).join(', ');
    o.log(`could not prepare namespace ${o.namespace} (${(err as Error).message}); make sure it exists with the search attributes ${names}`);
  }
}
