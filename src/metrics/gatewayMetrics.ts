import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Config } from '../config/schema';
import type { ReviewRecord } from '../review/types';
import type { LedgerRow } from '../temporal/contract';
import { NONE, attemptEvents, bounded, boundedCode, knownNames, requestLabels, type KnownNames } from './labels';

/** What the gateway added to a request answered by one try (more tries would mix in their own waits). */
export function firstTryOverheadMs(row: Pick<LedgerRow, 'status' | 'attempts' | 'latencyMs'>): number | undefined {
  const only = row.attempts.length === 1 ? row.attempts[0] : undefined;
  if (row.status !== 'completed' || only?.outcome !== 'ok' || only.latencyMs === undefined) return undefined;
  return Math.max(0, row.latencyMs - only.latencyMs);
}

/** Codes of the limits (src/limits/errors.ts): counted as rate-limit / budget rejections too. */
const LIMIT_CODES = new Set(['rate_limit_exceeded', 'loop_detected', 'budget_exceeded']);
const BREAKER_STATES = ['closed', 'open', 'half-open'] as const;
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120];

export interface MetricsSources {
  /** The live config (route table included): the names labels may take. */
  config: () => Config;
  /** The live route-table version. */
  routeTableVersion?: () => number;
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
  private readonly detections = this.counter('gatehouse_sensitive_detections_total', 'Requests in which sensitive data of a kind was found, by how the request ended (denied: blocked)', ['route', 'kind', 'status']);
  private readonly validationFailures = this.counter('gatehouse_validation_failures_total', 'Answers that failed an output validation check, by check', ['route', 'model', 'check']);
  private readonly limitRejections = this.counter('gatehouse_limit_rejections_total', 'Requests refused by a rate limit, loop check or budget', ['caller', 'team', 'code']);
  private readonly policyBlocks = this.counter('gatehouse_policy_blocks_total', 'Requests denied (policy, role, authentication), by reason code', ['caller', 'team', 'route', 'code']);

  constructor(private readonly sources: MetricsSources) {
    new Gauge({
      name: 'gatehouse_breaker_state',
      help: 'Circuit breaker of each configured model: 1 for its current state (closed, open, half-open), else 0',
      labelNames: ['model', 'state'],
      registers: [this.registry],
      collect: () => this.collectBreakers(),
    });
    const version = sources.routeTableVersion;
    new Gauge({ name: 'gatehouse_route_table_version', help: 'Version of the live route table', registers: [this.registry], collect() { if (version) this.set(version()); } });
  }

  /** The worker's breakers (absent in a front-door-only process: no gauge values). */
  watchBreakers(breakers: { stateOf(model: string): string }): void {
    this.breakers = breakers;
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
    this.refusalSeries(l.caller, l.team, l.route, row.status, l.code);
    this.reviewSeries(l.route, row.review?.heldAt, row.review?.decision);
    for (const kind of new Set(row.sensitiveKinds ?? [])) this.detections.inc({ route: l.route, kind: boundedCode(kind), status: l.status });
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
    this.requests.inc({ caller, team, task: NONE, route: NONE, model: NONE, status: 'refused', code });
    this.refusalSeries(caller, team, NONE, r.status === 429 ? 'refused' : 'denied', code);
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

  private refusalSeries(caller: string, team: string, route: string, status: string, code: string): void {
    if (LIMIT_CODES.has(code)) this.limitRejections.inc({ caller, team, code });
    else if (status === 'denied') this.policyBlocks.inc({ caller, team, route, code });
  }

  private collectBreakers(this: GatewayMetrics): void {
    const gauge = this.registry.getSingleMetric('gatehouse_breaker_state') as Gauge;
    gauge.reset();
    if (!this.breakers) return;
    for (const model of this.known().models) {
      const now = this.breakers.stateOf(model);
      for (const state of BREAKER_STATES) gauge.set({ model, state }, state === now ? 1 : 0);
    }
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
