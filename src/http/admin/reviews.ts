import { WorkflowNotFoundError, type WorkflowExecutionInfo, type WorkflowHandle } from '@temporalio/client';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { decisionDigest, type AuthenticatedCaller } from '../../auth';
import { formatIssues } from '../../config';
import { GatewayError, fromFailure, invalidRequest, notFound } from '../../errors';
import { reviewableRoutes } from '../../review/access';
import type { HeldAnswerView, ReviewAction, ReviewState } from '../../review/types';
import { GatehouseSearch } from '../../temporal/searchAttributes';
import { heldAnswerQuery, reviewUpdate } from '../../../workflows/definitions';
import { authenticated } from '../guard';
import { describeOrNull, isRequestId } from '../requests';
import type { HttpDeps } from '../server';

/**
 * The reviewers' API (reviewer keys only; other callers get 403): list held requests of the routes
 * this reviewer may decide, show one with its answer and findings, decide it. The decision is the
 * workflow's `review` Update with the reviewer's key sealed to the workers (bound to this request and
 * this decision): the workflow authenticates it again, so this API is a convenience, not the
 * security boundary.
 */

const DecisionBody = z
  .object({
    comment: z.string().max(2000).optional(),
    /** edit: the answer text the caller gets instead. */
    content: z.string().min(1).optional(),
    /** reject: told to the caller. */
    reason: z.string().min(1).max(2000).optional(),
  })
  .default({});

const ACTIONS: readonly ReviewAction[] = ['approve', 'edit', 'reject'];
const MAX_LISTED = 1000;
/**
 * How long a reviewer's call waits for a worker (GATEHOUSE_REVIEW_WAIT): a decision's Update would
 * wait forever with no worker running, and the held answer's query ~30 s (the server's own limit).
 */
export const REVIEW_WAIT_MS = 30_000;

interface Reviewer {
  who: AuthenticatedCaller;
  credential: string;
  routes: string[];
}

export function registerReviewAdmin(app: FastifyInstance, deps: HttpDeps): void {
  // Reviewer keys only (the guard: unknown keys 401, other callers 403, before any body is read).
  const REVIEWER = { config: { role: 'reviewer' as const } };
  app.get<{ Querystring: { limit?: string } }>('/admin/reviews', REVIEWER, async (req) => {
    const reviewer = authenticateReviewer(deps, req);
    const limit = Math.floor(Math.min(Math.max(Number(req.query.limit ?? 100) || 100, 1), MAX_LISTED));
    return { object: 'list', data: await listHeld(deps, reviewer.routes, limit) };
  });

  app.get<{ Params: { id: string } }>('/admin/reviews/:id', REVIEWER, async (req) => {
    const reviewer = authenticateReviewer(deps, req);
    const handle = await reviewableHandle(deps, reviewer, req.params.id);
    const held = await heldAnswer(deps, handle, req.params.id);
    if (!held) throw notAwaitingReview(req.params.id);
    return { id: req.params.id, object: 'gatehouse.review', ...held };
  });

  app.post<{ Params: { id: string; action: string } }>('/admin/reviews/:id/:action', REVIEWER, async (req) => {
    const reviewer = authenticateReviewer(deps, req);
    const action = req.params.action as ReviewAction;
    if (!ACTIONS.includes(action)) throw notFound('not_found', `No review action "${req.params.action}" (approve, edit, reject)`);
    const parsed = DecisionBody.safeParse(req.body ?? {});
    if (!parsed.success) throw invalidRequest('invalid_request', formatIssues(parsed.error.issues).join('; '), parsed.error.issues[0]?.path.join('.'));
    const handle = await reviewableHandle(deps, reviewer, req.params.id);
    try {
      const credential = await sealForDecision(deps, reviewer.credential, req.params.id, { action, ...parsed.data });
      const update = () => handle.executeUpdate(reviewUpdate, { args: [{ action, credential, ...parsed.data }] });
      const decision = await withWorker(deps, update, (waitMs) => notConfirmed(req.params.id, waitMs));
      return { id: req.params.id, object: 'gatehouse.review.decision', decision };
    } catch (err) {
      throw fromFailure(err) ?? (isClosed(err) ? await closedRefusal(heldAnswer(deps, handle, req.params.id), req.params.id) : err);
    }
  });
}

/**
 * A reviewer's call that needs a worker (the held answer's query, a decision's Update), bounded by
 * GATEHOUSE_REVIEW_WAIT: with no worker running an Update waits forever, a query ~30 s (the server's
 * own limit). Past the wait: `refusal`, a 503 saying which; the workflow's own refusals pass as they are.
 */
async function withWorker<T>(deps: HttpDeps, call: () => Promise<T>, refusal: (waitMs: number) => GatewayError): Promise<T> {
  const waitMs = deps.reviewWaitMs ?? REVIEW_WAIT_MS;
  const deadline = Date.now() + waitMs;
  try {
    return await deps.starter.client.withDeadline(deadline, call);
  } catch (err) {
    throw Date.now() >= deadline && !fromFailure(err) ? refusal(waitMs) : err;
  }
}

/** The held answer, asked of the request's worker. */
function heldAnswer(deps: HttpDeps, handle: WorkflowHandle, id: string): Promise<HeldAnswerView | null> {
  return withWorker(deps, () => handle.query(heldAnswerQuery), (waitMs) => noWorkerAnswered(id, waitMs));
}

/** No worker answered for the held request in time (none running, or all busy). */
function noWorkerAnswered(id: string, waitMs: number): GatewayError {
  return new GatewayError('Unavailable', 'review_unavailable', `No worker answered for ${id} within ${waitMs / 1000} s (none running, or all busy); the request stays held. Try again shortly`);
}

/** No worker took the decision in time (none running, or all busy): it may still apply when one does. */
function notConfirmed(id: string, waitMs: number): GatewayError {
  return new GatewayError('Unavailable', 'review_not_confirmed', `No worker confirmed the decision on ${id} within ${waitMs / 1000} s; it may still apply once one runs the request. Check GET /admin/reviews/${id} before deciding again`);
}

/** The reviewer's key, sealed to the workers for this request and exactly this decision (never sent raw). */
function sealForDecision(deps: HttpDeps, rawKey: string, workflowId: string, decision: Parameters<typeof decisionDigest>[0]): Promise<string> {
  if (!deps.starter.sealer) throw new GatewayError('Internal', 'credential_key_missing', 'This gateway has no credential public key');
  return deps.starter.sealer.seal(rawKey, { workflowId, purpose: 'review', decisionDigest: decisionDigest(decision) });
}

/** The reviewer the guard authenticated, with the routes it may review. */
function authenticateReviewer(deps: HttpDeps, req: FastifyRequest): Reviewer {
  const { caller: who, credential } = authenticated(req);
  return { who, credential, routes: reviewableRoutes(who, deps.config()) };
}

/** The request's handle, once its route is one this reviewer may review (else 403; unknown ids 404). */
async function reviewableHandle(deps: HttpDeps, reviewer: Reviewer, id: string) {
  if (!isRequestId(id)) throw notFound('request_not_found', 'No such request');
  const handle = deps.starter.client.workflow.getHandle(id);
  const description = await describeOrNull(handle);
  if (!description) throw notFound('request_not_found', `No request ${id}`);
  const route = description.typedSearchAttributes.get(GatehouseSearch.route);
  if (!route || !reviewer.routes.includes(route)) {
    throw new GatewayError('PolicyDenied', 'review_not_allowed', `${reviewer.who.name} may not review requests of route "${route ?? '?'}"`);
  }
  return handle;
}

/** Held requests of these routes on this gateway's task queue, oldest first, from Temporal visibility. */
async function listHeld(deps: HttpDeps, routes: string[], limit: number) {
  if (routes.length === 0) return [];
  const query = [
    `TaskQueue = ${quote(deps.starter.taskQueue)}`,
    `ExecutionStatus = "Running"`,
    `GatehouseStatus = "awaiting_review"`,
    `GatehouseRoute IN (${routes.map(quote).join(', ')})`,
  ].join(' AND ');
  const items: ReturnType<typeof listItem>[] = [];
  for await (const wf of deps.starter.client.workflow.list({ query, pageSize: Math.min(limit, 500) })) {
    items.push(listItem(wf));
    if (items.length >= limit) break;
  }
  return items.sort((a, b) => (a.held_at ?? '').localeCompare(b.held_at ?? ''));
}

function listItem(wf: WorkflowExecutionInfo) {
  const sa = wf.typedSearchAttributes;
  const review = (wf.memo?.review ?? {}) as Partial<ReviewState> & { risk?: string };
  return {
    id: wf.workflowId,
    run_id: wf.runId,
    route: sa.get(GatehouseSearch.route),
    caller: sa.get(GatehouseSearch.caller),
    team: sa.get(GatehouseSearch.team),
    task: sa.get(GatehouseSearch.task),
    risk: review.risk,
    reasons: review.reasons ?? [],
    phase: review.phase ?? 'review',
    held_at: review.heldAt,
    deadline_at: review.deadlineAt,
  };
}

/** Visibility query string literal; names are config names, but the task queue comes from the environment. */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function notAwaitingReview(id: string): GatewayError {
  return new GatewayError('Conflict', 'not_awaiting_review', `Request ${id} is not waiting for a review`);
}

/** A decision for a finished request: "already decided" (with who and when) if it was held, else "not held". */
async function closedRefusal(held: Promise<HeldAnswerView | null>, id: string): Promise<GatewayError> {
  const decision = (await held.catch(() => null))?.review.decision;
  if (!decision) return notAwaitingReview(id);
  return new GatewayError('Conflict', 'review_already_decided', `Already decided: ${decision.action} by ${decision.by} at ${decision.at}`);
}

function isClosed(err: unknown): boolean {
  return err instanceof WorkflowNotFoundError || /already completed|not found/i.test((err as Error)?.message ?? '');
}
