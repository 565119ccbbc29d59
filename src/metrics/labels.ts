import type { Config } from '../config/schema';
import { isFailureKind } from '../failures';
import type { AttemptRecord, LedgerRow } from '../temporal/contract';

/**
 * Label values for Prometheus series, bounded: every value is a name from the config (callers,
 * teams, tasks, routes, models, providers), a failure kind from the failure table, or a stable
 * error code; anything else folds into `other`. No request id, key or free text can become a label,
 * so a caller cannot grow the page (or read anything off it) by what it sends.
 */
export const OTHER = 'other';
/** No value: a refusal before authentication, or before a route was chosen. */
export const NONE = 'none';

/** The names the config allows, per label: what is not among them is `other`. */
export interface KnownNames {
  callers: ReadonlySet<string>;
  teams: ReadonlySet<string>;
  tasks: ReadonlySet<string>;
  routes: ReadonlySet<string>;
  models: ReadonlySet<string>;
  providers: ReadonlySet<string>;
  /** Routes that can hold a request for review (the pending-reviews gauge counts these). */
  holding: readonly string[];
}

/** Routes whose requests can be held for a human (a review block, or review on sensitive input or failed validation). */
export function holdingRoutes(config: Pick<Config, 'routes'>): string[] {
  return config.routes.filter((r) => r.review || r.sensitivity.action === 'review' || r.validation?.onFailure === 'review').map((r) => r.name);
}

export function knownNames(config: Config): KnownNames {
  const callers = Object.entries(config.callers);
  return {
    callers: new Set(callers.map(([name]) => name)),
    teams: new Set(callers.map(([, c]) => c.team)),
    tasks: new Set(callers.flatMap(([, c]) => c.tasks ?? [])),
    routes: new Set(config.routes.map((r) => r.name)),
    models: new Set(Object.keys(config.models)),
    providers: new Set(Object.keys(config.providers)),
    holding: holdingRoutes(config),
  };
}

/** A known name as it is; null/empty → `none`; anything else → `other`. */
export function bounded(value: string | null | undefined, known: ReadonlySet<string>): string {
  if (value === null || value === undefined || value === '') return NONE;
  return known.has(value) ? value : OTHER;
}

/** Error codes are ours (snake_case identifiers, e.g. `budget_exceeded`); anything else is `other`. */
export function boundedCode(code: string | null | undefined): string {
  if (!code) return NONE;
  return /^[a-z][a-z0-9_]{0,63}$/.test(code) ? code : OTHER;
}

/** A failure type from the failure table (src/failures), else `other`. */
export function boundedReason(type: string | undefined): string {
  return type && isFailureKind(type) ? type : OTHER;
}

export interface RequestLabels {
  caller: string;
  team: string;
  task: string;
  route: string;
  model: string;
  status: string;
  code: string;
}

/** The labels of one finished request (a ledger row). */
export function requestLabels(row: Pick<LedgerRow, 'caller' | 'team' | 'task' | 'route' | 'model' | 'status' | 'errorCode'>, known: KnownNames): RequestLabels {
  return {
    caller: bounded(row.caller, known.callers),
    team: bounded(row.team, known.teams),
    task: bounded(row.task, known.tasks),
    route: bounded(row.route, known.routes),
    model: bounded(row.model, known.models),
    status: row.status,
    code: boundedCode(row.errorCode) === NONE ? (row.status === 'completed' ? 'ok' : NONE) : boundedCode(row.errorCode),
  };
}

export interface AttemptEvent {
  kind: 'retry' | 'fallback';
  /** Why the attempt before it failed (a failure kind, or `other`). */
  reason: string;
  /** The model that failed. */
  model: string;
}

/**
 * Retries and fallbacks read off a request's attempts: a failed attempt followed by one on the same
 * model is a retry, by one on another model a fallback. The last attempt ends the request: no event.
 */
export function attemptEvents(attempts: readonly AttemptRecord[], known: KnownNames): AttemptEvent[] {
  const events: AttemptEvent[] = [];
  for (let i = 0; i + 1 < attempts.length; i++) {
    const a = attempts[i]!;
    if (a.outcome !== 'failed') continue;
    const kind = attempts[i + 1]!.model === a.model ? 'retry' : 'fallback';
    events.push({ kind, reason: boundedReason(a.error), model: bounded(a.model, known.models) });
  }
  return events;
}

/** Codes of the limits (src/limits/errors.ts): rate-limit, loop and budget rejections. */
const LIMIT_CODES = new Set(['rate_limit_exceeded', 'loop_detected', 'budget_exceeded']);
/** Refusals that end a request as `failed` rather than `denied`: too large or too complex, the kill switch. */
const FAILED_REFUSALS = new Set(['request_too_large', 'request_too_complex', 'route_disabled']);

/**
 * Was a request refused (not answered by decision of the gateway), and by what: a limit, or a block
 * (policy, role, authentication, size, kill switch). Provider failures and cancellations are neither.
 */
export function refusalKind(status: string, code: string | null | undefined): 'limit' | 'block' | undefined {
  if (code && LIMIT_CODES.has(code)) return 'limit';
  if (status === 'denied' || status === 'refused' || (code && FAILED_REFUSALS.has(code))) return 'block';
  return undefined;
}
