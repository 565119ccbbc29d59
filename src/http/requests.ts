import { WorkflowNotFoundError, type WorkflowExecutionDescription } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, fromFailure, notFound } from '../errors';
import { cancelledView, completedView, failedView, pendingView, type PendingState, type RequestView } from '../requests/view';
import { EMBEDDINGS_WORKFLOW_TYPE, WORKFLOW_TYPE, type GatewayResponse } from '../temporal/contract';
import { GatehouseSearch } from '../temporal/searchAttributes';
import { credentialTag } from '../temporal/requestStarter';
import { authenticated } from './guard';
import type { HttpDeps } from './server';

/**
 * `GET /v1/requests/{id}`: where a request started with `202 Accepted` stands, and its result once
 * done. Only the caller that sent it may read it; anyone else gets the same 404 as for an unknown id.
 * Uses `describe` (the server's state), so it answers even while no worker runs.
 */
export function registerRequests(app: FastifyInstance, deps: HttpDeps): void {
  app.get<{ Params: { id: string } }>('/v1/requests/:id', { config: { role: 'caller' } }, async (req) => {
    const { caller, credential } = authenticated(req);
    if (!isRequestId(req.params.id)) throw requestNotFound(req.params.id);
    const handle = deps.starter.client.workflow.getHandle(req.params.id);
    const desc = await describeOrNull(handle);
    if (!desc || !isRequestWorkflow(desc) || !isOwner(desc, caller.name, credential)) throw requestNotFound(req.params.id);
    return requestView(desc, () => handle.result() as Promise<GatewayResponse>);
  });
}

/** 202 for a request that is held for review or queued, or when the caller asked for async (`Prefer: respond-async`). */
export function replyAccepted(reply: FastifyReply, id: string, status: PendingState): RequestView {
  void reply.status(202).header('location', `/v1/requests/${encodeURIComponent(id)}`);
  return pendingView(id, status);
}

/** RFC 7240: `Prefer: respond-async` (possibly among other preferences). */
export function prefersAsync(req: FastifyRequest): boolean {
  const prefer = req.headers.prefer;
  const values = (Array.isArray(prefer) ? prefer.join(',') : (prefer ?? '')).split(',');
  return values.some((v) => v.trim().toLowerCase().split(';')[0] === 'respond-async');
}

/** A request's own workflow (chat or embeddings), not one beside it (`…/feedback`, `…/webhook`, `…/shadow`). */
export function isRequestWorkflow(desc: Pick<WorkflowExecutionDescription, 'type'>): boolean {
  return desc.type === WORKFLOW_TYPE || desc.type === EMBEDDINGS_WORKFLOW_TYPE;
}

/**
 * The caller admission recorded, or, before admission has run (a GET right after the 202), the
 * same key that started it (the memo's credential tag).
 */
export function isOwner(desc: WorkflowExecutionDescription, caller: string, credential: string): boolean {
  const recorded = desc.typedSearchAttributes.get(GatehouseSearch.caller);
  if (recorded !== undefined) return recorded === caller;
  return (desc.memo as { keyTag?: string } | undefined)?.keyTag === credentialTag(credential);
}

async function requestView(desc: WorkflowExecutionDescription, result: () => Promise<GatewayResponse>): Promise<RequestView> {
  const id = desc.workflowId;
  switch (desc.status.name) {
    case 'RUNNING':
      return runningView(desc);
    case 'COMPLETED':
      return completedView(id, await result());
    case 'CANCELLED':
      return cancelledView(id);
    default:
      return failedView(id, await failureOf(result));
  }
}

/** Running: held for review, waiting in the route's queue (with why and until when), or under way. */
function runningView(desc: WorkflowExecutionDescription): RequestView {
  const status = desc.typedSearchAttributes.get(GatehouseSearch.status);
  if (status === 'awaiting_review') return pendingView(desc.workflowId, 'awaiting_review');
  if (status !== 'queued') return pendingView(desc.workflowId, 'running');
  const queue = (desc.memo as { queue?: RequestView['queue'] } | undefined)?.queue;
  return { ...pendingView(desc.workflowId, 'queued'), ...(queue ? { queue } : {}) };
}

async function failureOf(result: () => Promise<unknown>): Promise<GatewayError> {
  try {
    await result();
  } catch (err) {
    const known = fromFailure(err);
    if (known) return known;
  }
  return new GatewayError('Internal', 'request_ended', 'The request ended without a result (terminated or timed out)');
}

export async function describeOrNull(handle: { describe(): Promise<WorkflowExecutionDescription> }): Promise<WorkflowExecutionDescription | null> {
  try {
    return await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

/** Ids this gateway makes (`req-…`, children `…/webhook`): anything else, empty or over-long, is simply not found. */
export function isRequestId(id: string): boolean {
  return id.length > 0 && id.length <= 400 && /^[\w.:/-]+$/.test(id);
}

export function requestNotFound(id: string): GatewayError {
  return notFound('request_not_found', `No request ${id.slice(0, 400)} for this caller`);
}
