import { parseCacheControl } from '../cache/policy';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ChatCompletionRequestSchema, formatIssues, type ChatCompletionRequest } from '../config';
import { invalidRequest } from '../errors';
import { authenticated } from './guard';
import type { HttpDeps } from './server';
import { prefersAsync, replyAccepted } from './requests';
import { resultOrHold } from '../temporal/outcome';
import { taskMayHold } from '../review/decide';
import { parseQueuePreference, taskMayQueue } from '../queue/decide';
import { resolveTask } from '../policy';
import { taskCallsLocally } from '../routing/firstTry';
import { streamModeFor } from '../streaming/mode';
import { OpenAIChunkPresenter, type StreamPresenter } from '../streaming/presenter';
import type { GatewayResponse } from '../temporal/contract';
import { streamChatCompletion } from './streamCompletion';

const IDEMPOTENCY_KEY = /^[\w.:-]{1,200}$/;

/** How one API format enters and leaves the one chat path (the internal shape is OpenAI's chat completions). */
export interface ChatFormat {
  /** The caller's body as the internal request; throws a 400 GatewayError when it is not one. */
  parse(body: unknown): ChatCompletionRequest;
  /** The events of a streamed answer. */
  presenter(body: ChatCompletionRequest): StreamPresenter;
  /** The finished answer as this format's body. */
  answer(result: GatewayResponse): unknown;
}

const openAIFormat: ChatFormat = {
  parse(body) {
    const parsed = ChatCompletionRequestSchema.safeParse(body);
    if (parsed.success) return parsed.data;
    const [first] = parsed.error.issues;
    throw invalidRequest('invalid_request', formatIssues(parsed.error.issues).join('; '), first?.path.join('.'));
  },
  presenter: (body) => new OpenAIChunkPresenter((body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true),
  answer: (result) => result,
};

export function registerChatCompletions(app: FastifyInstance, deps: HttpDeps): void {
  // The guard authenticates (and peeks at the rate limit) before the body is read; the workflow checks the key again itself.
  app.post('/v1/chat/completions', { config: { role: 'caller', rateLimited: true } }, (req, reply) => answerChat(req, reply, deps, openAIFormat));
}

/**
 * One chat request, whatever its format: Idempotency-Key and the x-gatehouse-task/risk/latency
 * headers, `stream: true` as SSE (the route permitting), 202 when held for review, queued past
 * `holdSync`, or asked async.
 */
export async function answerChat(req: FastifyRequest, reply: FastifyReply, deps: HttpDeps, format: ChatFormat): Promise<unknown> {
  const { caller, credential } = authenticated(req);
  const body = format.parse(req.body);
  const task = header(req, 'x-gatehouse-task') ?? body.metadata?.task;
  const key = header(req, 'idempotency-key');
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
    throw invalidRequest('invalid_idempotency_key', 'Idempotency-Key must be 1-200 characters of letters, digits, _ . : -');
  }

  const risk = header(req, 'x-gatehouse-risk');
  const latency = header(req, 'x-gatehouse-latency');
  const priority = header(req, 'x-gatehouse-priority');
  // `Cache-Control: no-cache | no-store` skips the route's response cache where the route allows it.
  const cacheControl = parseCacheControl(header(req, 'cache-control'));
  // `allow` | `deny` the route's reduced-output plan (admission checks the value; a route without one ignores it).
  const degraded = header(req, 'x-gatehouse-degraded');
  // `x-gatehouse-queue: no | <duration>`: opt out of, or shorten, the route's queue (src/queue/decide.ts).
  const queue = parseQueuePreference(header(req, 'x-gatehouse-queue'));
  const routes = deps.config().routes;
  const forTask = resolveTask(task, undefined, caller.config); // the task as the front door can know it (admission decides)
  const mayQueue = taskMayQueue(routes, forTask, queue);
  // A caller that waits here (streamed or not), on a route that calls locally, lets the first try run with admission (src/routing/firstTry.ts).
  const waited = !prefersAsync(req) && taskCallsLocally(routes, forTask);
  const input = { credential, task, risk, latency, priority, body, degraded, ...(cacheControl ? { cacheControl } : {}), ...(queue ? { queue } : {}), ...(waited ? { waited } : {}) };
  // stream: true answers as SSE, unless the route holds answers for review (then as below: 202 while held).
  const mode = body.stream && !prefersAsync(req) ? streamModeFor(routes, forTask, body.response_format) : 'none';
  if (mode !== 'none') {
    return streamChatCompletion(reply, deps, input, { idempotencyKey: key, live: mode === 'live', present: format.presenter(body), mayQueue });
  }
  const { handle } = await deps.starter.start(input, key);
  void reply.header('x-gatehouse-request-id', handle.workflowId);
  // 202 + Location when the caller asked for async, or as soon as the request is held for review.
  if (prefersAsync(req)) return replyAccepted(reply.header('preference-applied', 'respond-async'), handle.workflowId, 'running');
  // Only a route that can hold or queue needs the hold check (an extra Update and workflow task per slow request).
  const mayHold = mayQueue || taskMayHold(routes, forTask);
  const outcome = mayHold ? await resultOrHold(deps.starter, handle) : { held: false as const, response: await deps.starter.result(handle) };
  if (outcome.held) return replyAccepted(reply, handle.workflowId, outcome.status);
  const result = outcome.response;
  void reply.header('x-gatehouse-route', result.gatehouse.route).header('x-gatehouse-model', result.gatehouse.model);
  void reply.headers(result.gatehouse.rate_limit ?? {});
  return format.answer(result);
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
