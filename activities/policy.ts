import { toFailure, GatewayError } from '../src/errors';
import { authorizeTask, type CallerIdentity } from '../src/policy';
import type { ActivityDeps } from './deps';

export interface PolicyInput {
  caller: string;
  task: string;
}

export function createPolicyActivities(deps: ActivityDeps) {
  return {
    /** Local activity: the caller may use this task (re-checked here so every way in is covered). */
    async checkPolicy(input: PolicyInput): Promise<CallerIdentity> {
      return asFailure(() => authorizeTask(input.caller, deps.config().callers[input.caller], input.task));
    },
  };
}

/** Gateway decisions leave an activity as non-retryable ApplicationFailures. */
export function asFailure<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw err instanceof GatewayError ? toFailure(err) : err;
  }
}
