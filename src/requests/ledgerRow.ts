import type { PlannedRequest } from '../../activities/plan';
import type { Usage } from '../config/api';
import type { RefusedAs } from '../errors';
import { screeningActionOf } from '../policy/screeningAction';
import type { Candidate } from '../routing';
import { isFixedAnswer } from '../routing/degraded';
import type { Admission, AttemptRecord, LedgerRow, RequestStatusView } from '../temporal/contract';
import type { RequestStatus } from '../temporal/searchAttributes';

/** What a request came to: the facts its ledger row is made of. */
export interface Outcome {
  admission?: Admission;
  plan?: PlannedRequest;
  /** The model that answered, and its usage. */
  candidate?: Candidate;
  usage?: Usage;
  attempts: AttemptRecord[];
  status: Exclude<RequestStatus, 'running'>;
  errorCode?: string;
  /** Whom admission had identified before it refused (no admission then). */
  who?: RefusedAs;
  review?: RequestStatusView['review'];
  /** What the answering provider could not honour (ProviderCallResult.warnings). */
  warnings?: string[];
  /** Absent: chat. */
  operation?: LedgerRow['operation'];
  /** The route's reduced-output plan answered, for this reason. */
  degraded?: LedgerRow['degraded'];
  /** Answered from the response cache. */
  cacheHit?: LedgerRow['cacheHit'];
}

/** The request's ledger row (pure: the workflow and the call that writes the row build it alike). */
export function rowOf(requestId: string, o: Outcome, latencyMs: number): LedgerRow {
  return {
    requestId,
    caller: o.admission?.caller ?? o.who?.caller ?? null,
    team: o.admission?.team ?? o.who?.team ?? null,
    // Only a task admission accepted: the caller's unchecked header is request content, not a name.
    task: o.admission?.task ?? o.who?.task ?? null,
    route: o.plan?.route ?? o.who?.route ?? null,
    model: o.candidate?.model ?? null,
    status: o.status,
    errorCode: o.errorCode ?? null,
    usage: o.usage ?? null,
    latencyMs,
    attempts: o.attempts,
    explanation: o.plan?.explanation ?? null,
    risk: o.admission?.risk,
    dataClass: o.admission?.dataClass,
    sensitiveKinds: o.admission?.sensitiveKinds ?? o.who?.sensitiveKinds,
    sensitiveAction: o.admission ? screeningActionOf(o.admission) : o.who?.sensitiveAction,
    stage: o.plan?.stage,
    routeTableVersion: o.plan?.routeTableVersion,
    review: o.review,
    warnings: o.warnings,
    // The route's fixed answer and a cached answer came from no provider: nothing to price.
    pricedAs: o.candidate && !isFixedAnswer(o.candidate) && !o.cacheHit ? { providerKind: o.candidate.providerKind ?? o.candidate.provider, upstream: o.candidate.upstream } : undefined,
    ...(o.operation ? { operation: o.operation } : {}),
    ...(o.degraded ? { degraded: o.degraded } : {}),
    ...(o.cacheHit ? { cacheHit: o.cacheHit } : {}),
  };
}
