import { requestCancelled, type GatewayError } from '../errors';
import type { GatewayResponse } from '../temporal/contract';

/**
 * A request as its caller sees it after the fact: `GET /v1/requests/{id}`, the `202 Accepted` body
 * and the webhook body share this shape. Pure and workflow-safe (the webhook body is built there).
 */
export type RequestState = 'running' | 'awaiting_review' | 'queued' | 'completed' | 'failed' | 'cancelled';
/** Not finished yet: under way, held for review, or waiting in the route's queue. */
export type PendingState = 'running' | 'awaiting_review' | 'queued';

export interface RequestView {
  id: string;
  object: 'gatehouse.request';
  status: RequestState;
  /** Once completed: the same body the synchronous call would have returned. */
  result?: GatewayResponse;
  /** Once failed: the same error the synchronous call would have returned, and its HTTP status. */
  error?: ReturnType<GatewayError['toBody']>['error'];
  http_status?: number;
  gatehouse?: unknown;
  /** While queued: why, since when, and when `maxWait` ends (then `queue_timeout`). */
  queue?: { reason: string; since: string; until: string };
}

export function pendingView(id: string, status: PendingState): RequestView {
  return { id, object: 'gatehouse.request', status };
}

export function completedView(id: string, result: GatewayResponse): RequestView {
  return { id, object: 'gatehouse.request', status: 'completed', result };
}

export function failedView(id: string, err: GatewayError, status: 'failed' | 'cancelled' = 'failed'): RequestView {
  const body = err.toBody();
  return {
    id,
    object: 'gatehouse.request',
    status,
    http_status: err.status,
    error: body.error,
    ...(body.gatehouse !== undefined ? { gatehouse: body.gatehouse } : {}),
  };
}

export function cancelledView(id: string): RequestView {
  return failedView(id, requestCancelled(), 'cancelled');
}
