import { ApplicationFailure } from '@temporalio/common';
import { MODEL_DISABLED, ROUTE_DISABLED } from '../src/routes/failures';
import type { ActivityDeps } from './deps';

/**
 * The kill switch for requests already in flight: checked by the provider activity before every
 * try, so a workflow planned before the switch was thrown still stops calling the model (or the
 * route's models) within the reload interval. Non-retryable; an unknown failure type to the
 * failure-conduct table, so the workflow falls back to the next candidate.
 */
export function refuseIfDisabled(deps: ActivityDeps, input: { model: string; route?: string }): void {
  const live = deps.release?.snapshot();
  if (!live) return;
  const model = live.disabledModels.get(input.model);
  if (model !== undefined) throw ApplicationFailure.nonRetryable(`model "${input.model}" is disabled: ${model}`, MODEL_DISABLED);
  const route = input.route === undefined ? undefined : live.disabledRoutes.get(input.route);
  if (route !== undefined) throw ApplicationFailure.nonRetryable(`route "${input.route}" is disabled: ${route}`, ROUTE_DISABLED);
}
