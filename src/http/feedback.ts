import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../errors';
import { FEEDBACK_BODY_LIMIT, FeedbackBodySchema, type FeedbackInput } from '../feedback/schema';
import { GatehouseSearch } from '../temporal/searchAttributes';
import { parseBody } from './admin/access';
import { authenticated } from './guard';
import { describeOrNull, isOwner, isRequestId, isRequestWorkflow, requestNotFound } from './requests';
import type { HttpDeps } from './server';

/** The feedback workflow's type (workflows/feedback.ts) and its id beside the request's. */
export const FEEDBACK_WORKFLOW_TYPE = 'requestFeedback';
export const feedbackWorkflowId = (requestId: string) => `${requestId}/feedback`;

/**
 * `POST /v1/requests/{id}/feedback`: the calling app reports what its end user did with the answer
 * (accepted, edited with the edited text, rejected; a score 0..1; a comment). Only the caller that
 * made the request (anyone else: the same 404 as GET /v1/requests/{id}), only on a completed request
 * (409 otherwise). Recorded by a short workflow: history keeps the text, the ledger the facts.
 */
export function registerFeedback(app: FastifyInstance, deps: HttpDeps): void {
  app.post<{ Params: { id: string } }>('/v1/requests/:id/feedback', { config: { role: 'caller' }, bodyLimit: FEEDBACK_BODY_LIMIT }, async (req) => {
    const { caller, credential } = authenticated(req);
    const id = req.params.id;
    if (!isRequestId(id)) throw requestNotFound(id);
    const desc = await describeOrNull(deps.starter.client.workflow.getHandle(id));
    if (!desc || !isRequestWorkflow(desc) || !isOwner(desc, caller.name, credential)) throw requestNotFound(id);
    if (desc.status.name !== 'COMPLETED') {
      throw new GatewayError('Conflict', 'request_not_completed', `Request ${id} has no answer to give feedback on (it is ${desc.status.name.toLowerCase()})`);
    }
    const feedback = parseBody(FeedbackBodySchema, req.body);
    const sa = desc.typedSearchAttributes;
    const input: FeedbackInput = { requestId: id, caller: caller.name, team: sa.get(GatehouseSearch.team) ?? null, route: sa.get(GatehouseSearch.route) ?? null, model: sa.get(GatehouseSearch.model) ?? null, feedback };
    return { object: 'gatehouse.feedback', ...(await record(deps, input)) };
  });
}

async function record(deps: HttpDeps, input: FeedbackInput) {
  const attributes = [
    { key: GatehouseSearch.caller, value: input.caller },
    ...(input.team ? [{ key: GatehouseSearch.team, value: input.team }] : []),
    ...(input.route ? [{ key: GatehouseSearch.route, value: input.route }] : []),
    ...(input.model ? [{ key: GatehouseSearch.model, value: input.model }] : []),
  ];
  try {
    const handle = await deps.starter.client.workflow.start(FEEDBACK_WORKFLOW_TYPE, {
      taskQueue: deps.starter.taskQueue,
      workflowId: feedbackWorkflowId(input.requestId),
      args: [input],
      // Each feedback is a new run of the same id: its runs are the request's feedback trail.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      // A run that cannot finish (no worker for that long) must not hold the id against later feedback.
      workflowExecutionTimeout: '10 minutes',
      typedSearchAttributes: attributes,
    });
    return (await handle.result()) as { request_id: string; outcome: string; recorded_at: string };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new GatewayError('Conflict', 'feedback_in_progress', 'Another feedback on this request is being recorded; send it again');
    }
    throw err;
  }
}
