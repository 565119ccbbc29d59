import type { Operation } from '../src/config/api';
import { DegradedChoiceSchema } from '../src/config/degraded';
import { LatencySchema, PrioritySchema, RiskSchema, type Risk } from '../src/config/routing';
import type { Priority } from '../src/config/routing';
import type { CallerConfig, Config, RouteConfig } from '../src/config/schema';
import { GatewayError, invalidRequest, policyDenied, toFailure, type RefusedAs } from '../src/errors';
import { analyzeRequest } from '../src/admission/admit';
import { INLINE_ONLY } from '../src/admission/cpuPool';
import { authorizeTask, effectiveRisk, resolveTask, screenFindings } from '../src/policy';
import { summarizeKinds } from '../src/policy/sensitivity';
import { mayUseUnapproved, routeByName, selectRoute, type Unapproved } from '../src/routing';
import type { Admission, AiRequestInput } from '../src/temporal/contract';
import type { ActivityDeps } from './deps';
import { takeSnapshot, type ConfigSnapshot } from './snapshot';

/**
 * Admission sees exactly what the workflow was started with, plus the workflow's own id and start
 * time (workflow info, not input a raw start could forge) that the sealed credential is checked against.
 */
export type AdmissionInput = AiRequestInput & {
  workflowId: string;
  startedAtMs: number;
  /**
   * Absent: chat. For embeddings `body` is the inputs as user messages (src/embeddings/asChat.ts),
   * so screening, redaction, the token estimate and the limits are the chat path's own.
   */
  operation?: Operation;
};

/**
 * The kill switch passes over a disabled route for the next fitting one; when none is left and the
 * disabled route has a queue (and the caller did not opt out), the request is admitted to wait
 * for it: its plan then says `route_disabled` and the workflow queues (src/queue/decide.ts).
 */
function selectOrQueue(q: Parameters<typeof selectRoute>[0], snap: ConfigSnapshot, input: AdmissionInput, who: RefusedAs): RouteConfig {
  const { config } = snap;
  const unapproved = (r: string) => snap.unapprovedRoutes.get(r);
  try {
    return selectRoute(q, config, (r) => snap.disabledRoutes.get(r), unapproved);
  } catch (err) {
    if (!(err instanceof GatewayError) || err.code !== 'route_disabled') throw err;
    // The kill switch refused the route this request matched: the refusal names it.
    const route = matchedRoute(q, config, unapproved);
    if (!route) throw err;
    who.route = route.name;
    if (input.operation === 'embeddings' || input.queue === 'off' || !route.queue) throw err;
    return route;
  }
}

/** The route the request matches with the kill switch off; undefined when even then none is open to it. */
function matchedRoute(q: Parameters<typeof selectRoute>[0], config: Config, unapproved: (r: string) => Unapproved | undefined): RouteConfig | undefined {
  try {
    return selectRoute(q, config, undefined, unapproved);
  } catch {
    return undefined;
  }
}

/** High risk (declared or raised by the data) never reaches a gated route a second admin has not approved. */
function refuseUnapproved(route: RouteConfig, snap: ConfigSnapshot, caller: string, risk: Risk): void {
  const u = snap.unapprovedRoutes.get(route.name);
  if (u && !mayUseUnapproved(route, caller, risk)) {
    throw policyDenied('route_not_approved', `route "${route.name}" (changed by ${u.proposedBy} in v${u.since}) waits for a second admin's approval; it may not serve risk ${risk} until then`);
  }
}

/** Output budget assumed for estimates when the request sets no max_tokens. */
const DEFAULT_MAX_OUTPUT_TOKENS = 1024;

export function createPolicyActivities(deps: ActivityDeps) {
  return {
    /**
     * Local activity, the workflow's first step on every way in (HTTP, TS client, raw Temporal
     * start): authenticate the credential against the stored hashes, authorize the task and route,
     * screen the prompt for sensitive data, check size and limits.
     */
    async admitRequest(input: AdmissionInput, snap: ConfigSnapshot = takeSnapshot(deps)): Promise<Admission> {
      // A refusal names whoever admission had identified by then (ledger row, search attributes).
      let who: RefusedAs | undefined;
      return asFailure(async () => {
        const { config } = snap;
        const caller = await authenticateOrDeny(deps, input);
        who = { caller: caller.name, team: caller.config.team };
        const task = resolveTask(input.task ?? defaultTaskFor(input.operation, caller.config.tasks), undefined, caller.config);
        if (!task) throw invalidRequest('task_required', 'Say which task this is: header x-gatehouse-task or metadata.task', 'metadata.task');
        const identity = authorizeTask(caller.name, caller.config, task);
        who.task = task;
        const declared = parseHint(RiskSchema, input.risk ?? input.body.metadata?.risk, 'risk') ?? caller.config.defaultRisk;
        const latency = parseHint(LatencySchema, input.latency ?? input.body.metadata?.latency, 'latency') ?? 'realtime';
        const priority = allowedPriority(parseHint(PrioritySchema, input.priority ?? input.body.metadata?.priority, 'priority'), caller.name, caller.config);
        // Token estimate, sensitivity findings, response_format check: linear, off the event loop when large, under a deadline.
        const { promptTokens, findings, bytes } = await analyzeRequest(deps.cpu ?? INLINE_ONLY, input.body);
        const matched = selectOrQueue({ caller: caller.name, task, risk: declared }, snap, input, who);
        who.route = matched.name; // a request too large for it is refused in its name
        const route = fitSize(matched, bytes, promptTokens, config);
        who.route = route.name;
        // A blocked prompt's ledger row still says what kinds were found (never the values).
        const kinds = summarizeKinds(findings.flat());
        if (kinds.length > 0) Object.assign(who, { sensitiveKinds: kinds, sensitiveAction: 'blocked' });
        const screening = screenFindings(input.body.messages, findings, route.sensitivity);
        if (who.sensitiveKinds) who.sensitiveAction = screening.action; // passed: a later refusal is not the screening's
        if (screening.action === 'review' && input.operation === 'embeddings') throw cannotHold(route.name);
        // The risk the data raised (or a larger route) must still be one an unapproved route is cleared for.
        refuseUnapproved(route, snap, caller.name, effectiveRisk(declared, route.minRisk, screening.dataClass));
        const admission: Admission = {
          caller: identity.name,
          team: identity.team,
          task,
          route: route.name,
          risk: effectiveRisk(declared, route.minRisk, screening.dataClass),
          latency,
          priority,
          dataClass: screening.dataClass,
          sensitiveKinds: screening.kinds,
          forcePrivate: screening.action === 'private',
          holdForReview: screening.action === 'review' ? 'sensitive_input' : undefined,
          redactedMessages: screening.messages,
          promptTokens,
          maxOutputTokens: input.body.max_completion_tokens ?? input.body.max_tokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
          rateLimitHeaders: {},
        };
        const degraded = parseHint(DegradedChoiceSchema, input.degraded, 'degraded');
        if (degraded) admission.degraded = degraded;
        admission.rateLimitHeaders = await deps.limits.admit({
          caller: admission.caller,
          team: admission.team,
          route: admission.route,
          messages: input.body.messages,
          tokens: admission.promptTokens + admission.maxOutputTokens,
        });
        return admission;
      }, () => who);
    },
  };
}

/** The declared priority (else the caller's default), if this caller may declare it: `high` may buy costlier models. */
function allowedPriority(declared: Priority | undefined, name: string, caller: CallerConfig): Priority {
  const priority = declared ?? caller.defaultPriority;
  if (!caller.priorities.includes(priority)) {
    throw policyDenied('priority_not_allowed', `Caller "${name}" may not declare priority "${priority}" (allowed: ${caller.priorities.join(', ')})`);
  }
  return priority;
}

/** Embeddings have no answer for a human to review, and their inputs would wait for nobody. */
function cannotHold(route: string): GatewayError {
  return policyDenied('review_not_supported', `Route "${route}" holds sensitive input for review; embeddings cannot be held (use a route that blocks, redacts or forces a private model)`);
}

/** Embeddings without a named task go to the caller's `embeddings` task when it has one. */
function defaultTaskFor(operation: Operation | undefined, tasks: readonly string[]): string | undefined {
  return operation === 'embeddings' && tasks.includes('embeddings') ? 'embeddings' : undefined;
}

/** Over the route's size limits: its `largerRoute` if it has one (one hop), else 413. */
function fitSize(route: RouteConfig, bytes: number, tokens: number, config: Config): RouteConfig {
  const over = (r: RouteConfig) => (r.maxInputTokens !== undefined && tokens > r.maxInputTokens) || (r.maxRequestBytes !== undefined && bytes > r.maxRequestBytes);
  if (!over(route)) return route;
  const larger = route.largerRoute ? routeByName(route.largerRoute, config) : undefined;
  if (larger && !over(larger)) return larger;
  throw new GatewayError('InvalidRequest', 'request_too_large', `Request too large for route "${route.name}" (${tokens} tokens, ${bytes} bytes)`, { status: 413 });
}

function parseHint<T>(schema: { safeParse(v: unknown): { success: boolean; data?: T } }, value: string | undefined, param: string): T | undefined {
  if (value === undefined) return undefined;
  const r = schema.safeParse(value);
  if (!r.success) throw invalidRequest('invalid_request', `Unknown ${param} "${value}"`, param);
  return r.data;
}

/**
 * The sealed credential, opened for this workflow id and checked against its start time, names a
 * caller by key hash. Inside the workflow a bad credential is a policy denial (status 401 kept).
 */
async function authenticateOrDeny(deps: ActivityDeps, input: AdmissionInput) {
  try {
    const binding = { workflowId: input.workflowId, purpose: 'start' } as const;
    const keyHash = await deps.credentials.open(input.credential, binding, { startedAtMs: input.startedAtMs });
    return deps.callers().authenticateHash(keyHash);
  } catch (err) {
    if (err instanceof GatewayError) throw new GatewayError('PolicyDenied', err.code, err.message, { status: 401 });
    throw err;
  }
}

/** Gateway decisions leave an activity as non-retryable ApplicationFailures, attributed to `who` when known. */
export async function asFailure<T>(fn: () => T | Promise<T>, who?: () => RefusedAs | undefined): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof GatewayError ? toFailure(err.attributedTo(who?.())) : err;
  }
}
