import { deploymentKey } from '../src/routing/deployments';
import type { ActivityDeps } from './deps';

/** What a provider call needs to know to be counted against its deployment. */
export interface DeploymentCallInput {
  requestId: string;
  model: string;
  /** Set when the model has deployments (src/config/deployments.ts). */
  deployment?: string;
  attempt?: number;
}

/**
 * One provider call as its deployment's load and breaker see it: `key` is the breaker key
 * (`model@deployment`, or the model), and `done` ends the in-flight count (with the latency of an
 * answered call for `lowest-latency`, and its tokens for `tpm`). Models without deployments are not tracked (no cost).
 */
export function deploymentCall(deps: ActivityDeps, input: DeploymentCallInput): { key: string; done(answered?: { latencyMs: number; tokens: number }): void } {
  const key = deploymentKey(input.model, input.deployment);
  const load = input.deployment ? deps.load : undefined;
  if (!load) return { key, done: () => {} };
  const callId = `${input.requestId}:${input.attempt ?? 0}`;
  load.started(key, callId);
  let open = true;
  return {
    key,
    done: (answered) => {
      if (open) load.finished(key, callId, answered);
      open = false;
    },
  };
}
