import { deprecationWarning, modelStatus } from '../catalog/status';
import type { Operation } from '../config/api';
import type { CompareMethod } from '../config/release';
import type { DataClass, Latency, Priority, Risk } from '../config/routing';
import type { Config, ModelConfig, RouteConfig } from '../config/schema';
import { GatewayError, notFound, policyDenied } from '../errors';
import { acceptsPrefill } from '../catalog/prefill';
import { callSettings, type CallSettings } from './callSettings';
import type { DegradedPlan } from './degraded';
import { explainPlan } from './explain';
import { reasonText, skipText, type Skip, type SkipReason } from './skips';
import { inShare } from './stableShare';
import { cheapestFirst, costCeiling, priorityRule, withPriorityModels } from './priority';
import { deploymentKey, orderDeployments, type DeploymentLoad } from './deployments';

/** One model the workflow may call, in order. */
export interface Candidate {
  model: string;
  provider: string;
  upstream: string;
  /** The provider's kind (`openai`, `mock`, …), for pricing. */
  providerKind?: string;
  /** Pre-call estimate in USD, when the model has a price. */
  estimatedCostUsd?: number;
  /** Under a budget: the most output tokens this model may answer with (sent as the request's cap). */
  maxOutputTokens?: number;
  /** Set when the catalogue marks the model deprecated: the warning for logs and the response. */
  deprecated?: string;
  /** Continues an assistant prefill (src/catalog/prefill.ts): may finish a broken stream's answer. */
  prefill?: boolean;
  /** The model's deployment this candidate calls (a model with `deployments`); its breaker key is `model@deployment`. */
  deployment?: string;
}

/** The route's shadow model for this request (sampled): runs beside the primary, never answers the caller. */
export interface ShadowPlan {
  candidate: Candidate;
  compare: CompareMethod;
}

export interface RoutePlan extends CallSettings {
  route: string;
  candidates: Candidate[];
  retries: number;
  /** A stream broken after delivery is continued on a model that accepts a prefill (the route's `continuation`). */
  continuation?: boolean;
  /** `canary` when the split put the route's candidate model first. */
  stage: 'stable' | 'canary';
  /** One line saying why: recorded in history, ledger and the response. */
  explanation: string;
  /** The route's `largerRoute`, planned too: where a prompt too long for every model here goes. */
  larger?: RoutePlan;
  /** Set when this request is in the route's shadow sample (workflows/shadow.ts). */
  shadow?: ShadowPlan;
  /** The route's reduced-output plan for this request (src/routing/degraded.ts); chat only. */
  degraded?: DegradedPlan;
}

export interface PlanRequest {
  requestId: string;
  caller: string;
  task: string;
  /** The body's `model`: `auto`, the route's name, or a model of the route to prefer. */
  requestedModel: string;
  risk: Risk;
  dataClass: DataClass;
  latency: Latency;
  /** Policy found data that must not leave our control. */
  forcePrivate: boolean;
  promptTokens: number;
  maxOutputTokens: number;
  /** A soft budget was reached: the route's cheaper option goes first. */
  downgrade: boolean;
  /** Chat (default) or embeddings: only models of the matching `mode` are candidates. */
  operation?: Operation;
  /** What the answer is worth (src/routing/priority.ts); absent: `normal`. */
  priority?: Priority;
}

export interface PlanContext {
  table: Pick<Config, 'models' | 'callers' | 'providers'>;
  /** Circuit breakers: false while a model's (or a deployment's, `model@deployment`) breaker is open. */
  isAvailable: (model: string) => boolean;
  /** A deployment's estimate when `deployment` is given (its provider's prices), else the model's. */
  estimateCostUsd: (model: string, promptTokens: number, maxOutputTokens: number, deployment?: string) => number | undefined;
  /** Recent load of a deployment (`model@deployment`): in flight, latency, last minute's requests and tokens. */
  load?: (key: string) => DeploymentLoad | undefined;
  parseDuration: (s: string) => number;
  /** Now (ms since the epoch): a model past its catalogue retirement date is retired. */
  now?: number;
  /** The kill switch: the reason a model is disabled, else undefined. */
  isDisabled?: (model: string) => string | undefined;
  /** Learned: the model's provider refused an assistant prefill (it is not asked to continue a stream). */
  refusesPrefill?: (model: string) => boolean;
}

const AUTO_MODELS: ReadonlySet<string> = new Set(['auto', 'gatehouse', 'default']);

/** Pure: the ordered candidates for a request on its route; every factor that skipped a model says why. */
export function planRoute(req: PlanRequest, route: RouteConfig, ctx: PlanContext): RoutePlan {
  const { names, stage: split } = orderedModels(req, route);
  const skipped: Skip[] = [];
  let candidates: Candidate[] = [];
  for (const name of names) {
    const c = candidateOrSkip(req, route, name, ctx);
    if (c && 'reason' in c) skipped.push(c);
    else if (c) {
      const spread = onDeployments(req, route, c, ctx);
      candidates.push(...spread.candidates);
      skipped.push(...spread.skipped);
    }
  }
  candidates = cheapestFirst(candidates, priorityRule(route, req.priority), split === 'canary' || req.downgrade);
  preferRequested(req, route, candidates, ctx.table);
  if (candidates.length === 0) throw nothingLeft(req, route, skipped);
  // Only a request the canary model actually serves first counts as canary (the report compares these).
  const stage = split === 'canary' && candidates[0]!.model === route.canary?.model ? 'canary' : 'stable';
  const shadow = shadowFor(req, route, ctx, candidates[0]!);
  return {
    route: route.name,
    candidates,
    ...callSettings(route, ctx.parseDuration),
    retries: route.retries,
    continuation: route.continuation,
    stage,
    explanation: explainPlan(req, route, stage, candidates, skipped.map(skipText)),
    ...(shadow ? { shadow } : {}),
  };
}

function orderedModels(req: PlanRequest, route: RouteConfig): { names: string[]; stage: RoutePlan['stage'] } {
  const own = req.latency === 'batch' ? [...route.batch, route.primary, ...route.fallbacks] : [route.primary, ...route.fallbacks];
  let names = withPriorityModels(own, priorityRule(route, req.priority));
  let stage: RoutePlan['stage'] = 'stable';
  const canary = route.canary;
  if (canary && inShare(canary.by === 'caller' ? req.caller : req.requestId, canary.share)) {
    names = [canary.model, ...names];
    stage = 'canary';
  }
  if (req.downgrade && route.cheaperOption) names = [route.cheaperOption, ...names];
  return { names: [...new Set(names)], stage };
}

/**
 * A model with deployments becomes one candidate per usable deployment, in the model's strategy
 * order, so failover tries its other deployments before the route's next model.
 */
function onDeployments(req: PlanRequest, route: RouteConfig, c: Candidate, ctx: PlanContext): { candidates: Candidate[]; skipped: Skip[] } {
  const m = ctx.table.models[c.model]!;
  if (!m.deployments) return { candidates: [c], skipped: [] };
  const tokens = req.promptTokens + req.maxOutputTokens;
  const { order, skipped } = orderDeployments(m.deployments, { model: c.model, requestId: req.requestId, dataClass: req.dataClass, tokens, strategy: m.strategy, isAvailable: ctx.isAvailable, load: ctx.load });
  const ceiling = costCeiling(route, req.priority);
  const candidates: Candidate[] = [];
  for (const d of order) {
    const estimatedCostUsd = ctx.estimateCostUsd(c.model, req.promptTokens, req.maxOutputTokens, d.name);
    const key = deploymentKey(c.model, d.name);
    if (ceiling !== undefined && estimatedCostUsd !== undefined && estimatedCostUsd > ceiling) {
      skipped.push({ model: key, reason: 'over_cost_limit', detail: `$${estimatedCostUsd.toFixed(4)} > $${ceiling}` });
      continue;
    }
    const providerKind = ctx.table.providers[d.provider]?.kind;
    const prefill = acceptsPrefill(m.prefill, providerKind, d.upstream) && !ctx.refusesPrefill?.(c.model);
    candidates.push({ ...c, provider: d.provider, providerKind, upstream: d.upstream, deployment: d.name, estimatedCostUsd, prefill });
  }
  return { candidates, skipped };
}

/** Pure: one model of the route as a candidate for this request (every factor applies), or why it is skipped (in words). */
export function candidateFor(req: PlanRequest, route: RouteConfig, name: string, ctx: PlanContext): Candidate | string {
  const c = candidateOrSkip(req, route, name, ctx);
  if (!c) return 'not configured';
  return isSkip(c) ? reasonText(c.reason, c.detail) : c;
}

function isSkip(c: Candidate | Skip): c is Skip {
  return 'reason' in c;
}

/** The model as a candidate, or why it is skipped (undefined: not configured). */
function candidateOrSkip(req: PlanRequest, route: RouteConfig, name: string, ctx: PlanContext): Candidate | Skip | undefined {
  const model = ctx.table.models[name];
  if (!model) return undefined;
  const estimatedCostUsd = ctx.estimateCostUsd(name, req.promptTokens, req.maxOutputTokens);
  const skip = skipReason(req, route, name, model, estimatedCostUsd, ctx);
  if (skip) return { model: name, ...skip };
  const deprecated = deprecationWarning(name, model, ctx.now);
  const providerKind = ctx.table.providers[model.provider]?.kind;
  const prefill = acceptsPrefill(model.prefill, providerKind, model.upstream) && !ctx.refusesPrefill?.(name);
  return { model: name, provider: model.provider, providerKind, upstream: model.upstream, estimatedCostUsd, prefill, ...(deprecated ? { deprecated } : {}) };
}

/**
 * The route's shadow for this request: sampled by request id (independently of the canary split),
 * and only a model that may serve this request (data class, private, allowlist, cost, breaker):
 * the shadow sees the same prompt. Never the model already answering.
 */
function shadowFor(req: PlanRequest, route: RouteConfig, ctx: PlanContext, first: Candidate): ShadowPlan | undefined {
  const s = route.shadow;
  if (!s || s.model === first.model || !inShare(`shadow:${req.requestId}`, s.share)) return undefined;
  const c = candidateOrSkip(req, route, s.model, ctx);
  return c && !('reason' in c) ? { candidate: c, compare: s.compare } : undefined;
}

type Why = { reason: SkipReason; detail?: string };

function skipReason(req: PlanRequest, route: RouteConfig, name: string, m: ModelConfig, cost: number | undefined, ctx: PlanContext): Why | undefined {
  const allowed = ctx.table.callers[req.caller]?.models;
  const wrongMode = modeMismatch(req, m);
  if (wrongMode) return { reason: wrongMode };
  const status = modelStatus(m, ctx.now);
  if (status === 'proposed') return { reason: 'not_approved' };
  if (status === 'retired') return { reason: 'retired', detail: m.retirementDate };
  if (ctx.isDisabled?.(name) !== undefined) return { reason: 'disabled' };
  if (!m.dataClasses.includes(req.dataClass)) return { reason: 'data_class', detail: req.dataClass };
  if (req.forcePrivate && !m.private) return { reason: 'not_private' };
  if (allowed && !allowed.includes(name)) return { reason: 'caller_not_allowed' };
  if (m.latency === 'batch' && req.latency === 'realtime') return { reason: 'batch_only' };
  const needed = req.promptTokens + req.maxOutputTokens;
  if (m.contextWindow && needed > m.contextWindow) return { reason: 'context_too_small', detail: `${needed} > ${m.contextWindow} tokens` };
  const ceiling = costCeiling(route, req.priority);
  if (ceiling !== undefined && cost !== undefined && cost > ceiling) {
    return { reason: 'over_cost_limit', detail: `$${cost.toFixed(4)} > $${ceiling}` };
  }
  if (!ctx.isAvailable(name)) return { reason: 'circuit_open' };
  return undefined;
}

/** Why a model cannot serve this operation at all (a chat model asked for embeddings, or the reverse). */
function modeMismatch(req: PlanRequest, m: ModelConfig): 'not_embedding' | 'not_chat' | undefined {
  const embeddings = req.operation === 'embeddings';
  if (embeddings === (m.mode === 'embedding')) return undefined;
  return embeddings ? 'not_embedding' : 'not_chat';
}

/** The caller's mistake, not a policy: a 400 with a stable code naming what the model does. */
function wrongModeError(req: PlanRequest, what: string): GatewayError {
  return req.operation === 'embeddings'
    ? new GatewayError('InvalidRequest', 'model_not_embedding', `${what}: /v1/embeddings needs a model with \`mode: embedding\``, { status: 400 })
    : new GatewayError('InvalidRequest', 'model_not_chat', `${what}: an embedding model answers only /v1/embeddings`, { status: 400 });
}

/** A caller naming a model of the route gets it first; naming anything else is an error, not ignored. */
function preferRequested(req: PlanRequest, route: RouteConfig, candidates: Candidate[], table: PlanContext['table']): void {
  const wanted = req.requestedModel;
  if (AUTO_MODELS.has(wanted) || wanted === route.name) return;
  // All of the named model's candidates (each of its deployments) go first, in plan order.
  const mine = candidates.filter((c) => c.model === wanted || c.upstream === wanted);
  if (mine.length) {
    candidates.splice(0, candidates.length, ...mine, ...candidates.filter((c) => !mine.includes(c)));
    return;
  }
  const named = table.models[wanted];
  const mismatch = named && modeMismatch(req, named);
  if (mismatch) throw wrongModeError(req, `model "${wanted}" is ${reasonText(mismatch)}`);
  if (table.models[wanted]) throw policyDenied('model_not_allowed', `model "${wanted}" is not available for this request on route "${route.name}"`);
  throw notFound('model_not_found', `The model "${wanted}" does not exist; use "auto" or one of GET /v1/models`);
}

/** Nothing may serve the request: say the strongest reason clearly rather than try a forbidden model. */
function nothingLeft(req: PlanRequest, route: RouteConfig, skipped: Skip[]): GatewayError {
  const why = `route "${route.name}" has no model for this request (${skipped.map(skipText).join('; ') || 'no candidates'})`;
  const some = (...r: SkipReason[]) => skipped.some((s) => r.includes(s.reason));
  const all = (...r: SkipReason[]) => skipped.length > 0 && skipped.every((s) => r.includes(s.reason));
  // Every model does the other operation: the request was sent to the wrong route (or endpoint).
  if (all('not_embedding', 'not_chat')) return wrongModeError(req, why);
  // A model that may serve it exists but is down: that is an outage, not a policy refusal.
  if (some('circuit_open')) return new GatewayError('ProviderUnavailable', 'no_available_model', why, { status: 503 });
  if (some('data_class', 'not_private')) return policyDenied('no_model_for_data_class', why);
  // The kill switch took the models that were left: an operator's decision, said as such.
  if (some('disabled') && all('disabled', 'not_approved', 'retired')) return new GatewayError('ProviderUnavailable', 'route_disabled', why, { status: 503 });
  if (all('not_approved', 'retired')) return policyDenied('no_approved_model', why);
  if (some('over_cost_limit')) return new GatewayError('InvalidRequest', 'cost_limit_exceeded', why, { status: 400 });
  if (some('context_too_small')) return new GatewayError('InvalidRequest', 'request_too_large', why, { status: 413 });
  return new GatewayError('ProviderUnavailable', 'no_available_model', why, { status: 503 });
}
