import type { ProviderCallInput } from '../../activities/callProvider';
import type { DeliveredPart } from '../streaming/continuation';
import type { AttemptRecord, RowOnAnswer } from '../temporal/contract';
import type { Candidate, RoutePlan } from './planRoute';
import { routesForTask } from './taskRoutes';

/** What every operation's try sends besides its body (the provider activities' input). */
export type TryInput = Omit<ProviderCallInput, 'body' | 'maxOutputTokens'>;

/** One try's input: the workflow's every try and the first try run with admission (below) build it here alike. */
export function tryInputOf(
  plan: RoutePlan,
  candidate: Candidate,
  t: { requestId: string; attempt: number; recordOnAnswer?: RowOnAnswer; continues?: DeliveredPart },
): TryInput {
  return {
    requestId: t.requestId,
    provider: candidate.provider,
    model: candidate.model,
    ...(candidate.deployment ? { deployment: candidate.deployment } : {}),
    upstream: candidate.upstream,
    timeoutMs: plan.timeoutMs,
    deadlines: plan.deadlines,
    maxRetryDelayMs: plan.maxRetryWaitMs,
    attempt: t.attempt,
    route: plan.route, // for the kill switch
    ...(plan.strictStreams ? { strictStreams: true } : {}),
    ...(t.continues ? { continues: t.continues } : {}),
    recordOnAnswer: t.recordOnAnswer,
  };
}

/** The attempt record of an answered try (its latency filled in when known). */
export function answeredAttempt(candidate: Candidate, tryNo: number, latencyMs: number, adapted?: AttemptRecord['adapted'], skippedChunks?: number): AttemptRecord {
  return {
    model: candidate.model,
    ...(candidate.deployment ? { deployment: candidate.deployment } : {}),
    outcome: 'ok',
    try: tryNo,
    latencyMs,
    ...(adapted ? { adapted } : {}),
    ...(skippedChunks ? { skippedChunks } : {}),
  };
}

/** The longest route timeout whose first try may run inside admission's local activity (that step's Temporal timeout is this plus slack: workflows/proxies.ts). */
export const FIRST_TRY_MAX_TIMEOUT_MS = 5 * 60_000;

/**
 * Whether admission's local activity may make the request's first provider call itself, saving the
 * workflow a second local activity (~3–4 ms of the gateway's CPU per request, and one activation
 * before a stream's first chunk; docs/performance.md). Only where that call is exactly the workflow's
 * own first try and its answer ends the request: a local call, the plan's first candidate, nothing
 * cached, shadowed, degraded, checked or held. Streamed or not: the try is the same call either way
 * (its chunks reach the side channel, a hang-up stops it, a break after delivery is continued by the
 * workflow's next try). Anything else runs as before, one step after the other.
 */
export function mayRunFirstTry(p: { plan: RoutePlan | undefined; answerEnds: boolean; cached: boolean }): Candidate | undefined {
  const { plan } = p;
  const first = plan?.candidates[0];
  if (!plan || !first || !plan.localCall || !p.answerEnds || p.cached) return undefined;
  if (plan.shadow || plan.degraded || plan.timeoutMs > FIRST_TRY_MAX_TIMEOUT_MS) return undefined;
  return first;
}

/**
 * At the front door: some route for this task calls providers as local activities, so a waiting
 * caller's first try may run with admission. Only then does the workflow ask for it (that step's
 * Temporal timeout must cover a provider call; every other admission keeps its 5 s one).
 */
export function taskCallsLocally(routes: ReadonlyArray<{ match: { task: string }; providerCall?: string }>, task: string | undefined): boolean {
  return routesForTask(routes, task).some((r) => r.providerCall === 'local');
}
