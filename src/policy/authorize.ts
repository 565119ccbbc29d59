import type { CallerConfig } from '../config/schema';
import { policyDenied } from '../errors';

export interface CallerIdentity {
  name: string;
  team: string;
}

/** Pure: may this caller send this task? Throws `PolicyDenied`. */
export function authorizeTask(name: string, caller: CallerConfig | undefined, task: string): CallerIdentity {
  if (!caller) throw policyDenied('unknown_caller', `caller "${name}" is not configured`);
  if (!caller.roles.includes('caller')) {
    throw policyDenied('role_not_allowed', `caller "${name}" does not have the caller role`);
  }
  if (!caller.tasks.includes(task)) {
    throw policyDenied('task_not_allowed', `caller "${name}" may not use task "${task}" (allowed: ${caller.tasks.join(', ') || 'none'})`);
  }
  return { name, team: caller.team };
}

/** The task of a request: explicit header, then body metadata, then the caller's default. */
export function resolveTask(header: string | undefined, metadataTask: string | undefined, caller: CallerConfig): string | undefined {
  return header ?? metadataTask ?? caller.defaultTask ?? (caller.tasks.length === 1 ? caller.tasks[0] : undefined);
}
