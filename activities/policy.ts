import { GatewayError, invalidRequest, toFailure } from '../src/errors';
import { authorizeTask, resolveTask } from '../src/policy';
import type { ActivityDeps } from './deps';

export interface AdmissionInput {
  credential: string;
  task?: string;
}

export interface Admission {
  caller: string;
  team: string;
  task: string;
}

export function createPolicyActivities(deps: ActivityDeps) {
  return {
    /**
     * Local activity, the workflow's first step on every way in (HTTP, TS client, raw Temporal
     * start): authenticate the credential against the stored hashes, then authorize the task.
     */
    async admitRequest(input: AdmissionInput): Promise<Admission> {
      return asFailure(() => {
        const caller = authenticateOrDeny(deps, input.credential);
        const task = resolveTask(input.task, undefined, caller.config);
        if (!task) throw invalidRequest('task_required', 'Say which task this is: header x-gatehouse-task or metadata.task', 'metadata.task');
        const identity = authorizeTask(caller.name, caller.config, task);
        return { caller: identity.name, team: identity.team, task };
      });
    },
  };
}

/** Inside the workflow a bad credential is a policy denial (status 401 kept for the caller). */
function authenticateOrDeny(deps: ActivityDeps, credential: string | undefined) {
  try {
    return deps.callers().authenticateKey(credential);
  } catch (err) {
    if (err instanceof GatewayError) throw new GatewayError('PolicyDenied', err.code, err.message, { status: 401 });
    throw err;
  }
}

/** Gateway decisions leave an activity as non-retryable ApplicationFailures. */
export function asFailure<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw err instanceof GatewayError ? toFailure(err) : err;
  }
}
