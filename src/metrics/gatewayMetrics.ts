import { Counter, Histogram, Registry } from 'prom-client';
import type { ComparisonRecord } from '../canary/samples';
import type { Config } from '../config/schema';
import type { ReviewRecord } from '../review/types';
import type { LedgerRow } from '../temporal/contract';
import { NONE, attemptEvents, bounded, boundedCode, knownNames, refusalKind, requestLabels, type KnownNames, type RequestLabels } from './labels';
import { registerScrapeGauges, type BudgetLeft } from './scrapeGauges';

/** What the gateway added to a request answered by one try (more tries would mix in their own waits). */
export function firstTryOverheadMs(row: Pick<LedgerRow, 'status' | 'attempts' | 'latencyMs'>): number | undefined {
  const only = row.attempts.length === 1 ? row.attempts[0] : undefined;
  if (row.status !== 'completed' || only?.outcome !== 'ok' || only.latencyMs === undefined) return undefined;
  return Math.max(0, row.latencyMs - only.latencyMs);
}

const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120];

export interface MetricsSources {
  /** The live config (route table included): the names labels may take. */
  config: () => Config;
  /** The live route-table version. */
  routeTableVersion?: () => number;
  /** Every configured budget's remainder now (the budget store). */
  budgets?: () => Promise<BudgetLeft[]>;
}

/** What an end user did with an answer (POST /v1/requests/{id}/feedback). */
export interface FeedbackEvent {
  route: string | null;
  model: string | null;
  outcome: string;
}

/** A refusal at the front door (src/http/guard.ts): before any workflow, so no task or route. */
export interface FrontDoorRefusal {
  caller: string | null;
  team: string | null;
  code: string;
  status: number;
}

export type ProviderOutcome = 'ok' | 'error' | 'cancelled';

/**
 * The gateway's Prometheus series, on a registry of its own (one per process, injected: tests read
 * it and two gateways in one process never share counters). Recorded where requests end (the ledger
 * write, the front door's refusals) and around provider calls; gauges are read at scrape time.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private breakers?: { stateOf(model: string): string };
  private countHeld?: (route: string) => Promise<number>;
  private cache?: { config: Config; known: KnownNames };

  private readonly requests = this.counter('gatehouse_requests_total', 'Requests that ended, by how they ended (front-door refusals have status "refused")', ['caller', 'team', 'task', 'route', 'model', 'status', 'code']);
  private readonly latency = new Histogram({ name: 'gatehouse_provider_latency_seconds', help: 'Time of each provider call (one try)', labelNames: ['provider', 'model', 'outcome'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  private readonly firstTokens = new Histogram({ name: 'gatehouse_time_to_first_token_seconds', help: 'Streamed tries: provider call start to its first chunk', labelNames: ['provider', 'model'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  private readonly requestLatency = new Histogram({ name: 'gatehouse_request_duration_seconds', help: 'Whole request, workflow start to its ledger row', labelNames: ['route', 'status'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  private readonly overhead = new Histogram({ name: 'gatehouse_gateway_overhead_seconds', help: 'Requests answered at the first try: request duration minus the provider call', labelNames: ['route'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [this.registry] });
  private readonly tokens = this.counter('gatehouse_tokens_total', 'Tokens the providers reported, by direction (in = prompt, out = completion)', ['team', 'route', 'model', 'direction']);
  private readonly cost = this.counter('gatehouse_cost_usd_total', 'Priced cost of answered requests, in US dollars', ['team', 'route', 'model']);
  private readonly retries = this.counter('gatehouse_retries_total', 'Tries run again on the same model, by why the try before failed', ['route', 'model', 'reason']);
  private readonly fallbacks = this.counter('gatehouse_fallbacks_total', 'Moves to the next model of a route, by why the model before failed', ['route', 'model', 'reason']);
  private readonly reviewDecisions = this.counter('gatehouse_review_decisions_total', 'Human-review decisions, by action and how they came (update, signal, deadline)', ['route', 'action', 'via']);
  private readonly reviewWait = new Histogram({ name: 'gatehouse_review_wait_seconds', help: 'Held to decided, per review', labelNames: ['route', 'action'], buckets: [10, 30, 60, 300, 900, 1800, 3600, 14400, 86400], registers: [this.registry] });
  private readonly detections = this.counter('gatehouse_sensitive_detections_total', 'Requests in which sensitive data of a kind was found, by what screening did (blocked, redacted, private, review, none) and how the request ended', ['route', 'kind', 'action', 'status']);
  private readonly validationFailures = this.counter('gatehouse_validation_failures_total', 'Answers that failed an output validation check, by check', ['route', 'model', 'check']);
  private readonly limitRejections = this.counter('gatehouse_limit_rejections_total', 'Requests refused by a rate limit, loop check or budget', ['caller', 'team', 'task', 'route', 'code']);
  private readonly policyBlocks = this.counter('gatehouse_policy_blocks_total', 'Requests denied (policy, role, authentication, size, kill switch), by reason code', ['caller', 'team', 'task', 'route', 'code']);
  private readonly canary = this.counter('gatehouse_canary_requests_total', 'Requests a route sent to its canary model, by how they ended', ['route', 'model', 'status']);
  private readonly shadows = this.counter('gatehouse_shadow_comparisons_total', 'Shadow answers compared with the primary, by the shadow side\'s outcome (ok, invalid, error)', ['route', 'model', 'outcome']);
  private readonly agreement = new Histogram({ name: 'gatehouse_shadow_agreement', help: 'Agreement score (0..1) of shadow pairs where both sides answered', labelNames: ['route', 'model'], buckets: [0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 1], registers: [this.registry] });
  private readonly feedback = this.counter('gatehouse_feedback_total', 'End-user feedback on answers (accepted, edited, rejected)', ['route', 'model', 'outcome']);

  constructor(private readonly sources: MetricsSources) {
    registerScrapeGauges(this.registry, {
      known: () => this.known(),
      routeTableVersion: sources.routeTableVersion,
      breakers: () => this.breakers,
      reviewsPending: () => this.countHeld,
      budgets: sources.budgets,
    });
  }

  /** The worker's breakers (absent in a front-door-only process: no gauge values). */
  watchBreakers(breakers: { stateOf(model: string): string }): void {
    this.breakers = breakers;
  }

  /** How to count held requests of a route (needs a Temporal client; absent: no gauge values). */
  watchReviews(countHeld: (route: string) => Promise<number>): void {
    this.countHeld = countHeld;
  }

  /** A request's ledger row was written (activities/ledger.ts writeOutcome). */
  requestEnded(row: LedgerRow, costUsd: number): void {
    const known = this.known();
    const l = requestLabels(row, known);
    this.requests.inc({ ...l });
    this.requestLatency.observe({ route: l.route, status: l.status }, row.latencyMs / 1000);
    const overheadMs = firstTryOverheadMs(row);
    if (overheadMs !== undefined) this.overhead.observe({ route: l.route }, overheadMs / 1000);
    const spend = { team: l.team, route: l.route, model: l.model };
    if (row.usage) {
      this.tokens.inc({ ...spend, direction: 'in' }, row.usage.prompt_tokens ?? 0);
      this.tokens.inc({ ...spend, direction: 'out' }, row.usage.completion_tokens ?? 0);
    }
    if (costUsd > 0) this.cost.inc(spend, costUsd);
    for (const e of attemptEvents(row.attempts, known)) (e.kind === 'retry' ? this.retries : this.fallbacks).inc({ route: l.route, model: e.model, reason: e.reason });
    this.refusalSeries(l);
    this.reviewSeries(l.route, row.review?.heldAt, row.review?.decision);
    if (row.stage === 'canary') this.canary.inc({ route: l.route, model: l.model, status: l.status });
    const action = boundedCode(row.sensitiveAction);
    for (const kind of new Set(row.sensitiveKinds ?? [])) this.detections.inc({ route: l.route, kind: boundedCode(kind), action, status: l.status });
    for (const a of row.attempts) {
      for (const check of a.validation?.failed ?? []) this.validationFailures.inc({ route: l.route, model: bounded(a.model, known.models), check: boundedCode(check) });
    }
  }

  private reviewSeries(route: string, heldAt: string | undefined, decision: ReviewRecord | undefined): void {
    if (!decision) return;
    const action = boundedCode(decision.action);
    this.reviewDecisions.inc({ route, action, via: boundedCode(decision.via) });
    const waited = heldAt ? (Date.parse(decision.at) - Date.parse(heldAt)) / 1000 : NaN;
    if (Number.isFinite(waited) && waited >= 0) this.reviewWait.observe({ route, action }, waited);
  }

  /** A refusal at the front door (no workflow, no ledger row of its own). */
  refused(r: FrontDoorRefusal): void {
    const known = this.known();
    const caller = bounded(r.caller, known.callers);
    const team = bounded(r.team, known.teams);
    const code = boundedCode(r.code);
    const labels = { caller, team, task: NONE, route: NONE, model: NONE, status: 'refused', code };
    this.requests.inc(labels);
    this.refusalSeries({ ...labels, status: r.status === 429 ? 'refused' : 'denied' });
  }

  /** A shadow pair was recorded (activities/compare.ts), once per request. */
  shadowCompared(c: Pick<ComparisonRecord, 'route' | 'candidateModel' | 'candidateOk' | 'candidateValid' | 'agreement'>): void {
    const known = this.known();
    const labels = { route: bounded(c.route, known.routes), model: bounded(c.candidateModel, known.models) };
    const outcome = !c.candidateOk ? 'error' : c.candidateValid === false ? 'invalid' : 'ok';
    this.shadows.inc({ ...labels, outcome });
    if (c.agreement !== null && Number.isFinite(c.agreement)) this.agreement.observe(labels, c.agreement);
  }

  /** An end user's feedback on an answer was recorded. */
  feedbackGiven(f: FeedbackEvent): void {
    const known = this.known();
    this.feedback.inc({ route: bounded(f.route, known.routes), model: bounded(f.model, known.models), outcome: boundedCode(f.outcome) });
  }

  /** One provider call (a try), chat or embeddings. */
  providerCall(provider: string, model: string, outcome: ProviderOutcome, seconds: number): void {
    this.latency.observe({ ...this.providerLabels(provider, model), outcome }, seconds);
  }

  /** A streamed try's first chunk. */
  firstToken(provider: string, model: string, seconds: number): void {
    this.firstTokens.observe(this.providerLabels(provider, model), seconds);
  }

  /** The page: Prometheus text format. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private providerLabels(provider: string, model: string): { provider: string; model: string } {
    const known = this.known();
    return { provider: bounded(provider, known.providers), model: bounded(model, known.models) };
  }

  /** Refusals by who (caller, team, task, route as far as known) and why: limits apart from the rest. */
  private refusalSeries(l: RequestLabels): void {
    const { caller, team, task, route, code } = l;
    const kind = refusalKind(l.status, code);
    if (kind === 'limit') this.limitRejections.inc({ caller, team, task, route, code });
    else if (kind === 'block') this.policyBlocks.inc({ caller, team, task, route, code });
  }

  /** Label names from the current config, recomputed only when the config object changes (a reload). */
  private known(): KnownNames {
    const config = this.sources.config();
    if (this.cache?.config !== config) this.cache = { config, known: knownNames(config) };
    return this.cache.known;
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }
}
