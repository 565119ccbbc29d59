import { taskMayHold } from '../review/decide';
import { routesForTask } from '../routing/taskRoutes';

/**
 * How a `stream: true` request is answered, from its task's routes (pure):
 * - `live`: chunks are forwarded as the provider sends them;
 * - `replay`: the output is checked first (the route's `validation`, or the request's json_schema
 *   `response_format`), so the caller gets SSE chunks of the answer only once it passed, never text
 *   that validation might still reject or replace;
 * - `none`: the route holds answers for human review, which may take days: answered like a
 *   non-streamed request (202 with the request id while it waits).
 * Read by field name at runtime, so it works whatever shape those route blocks take.
 */
export type StreamMode = 'live' | 'replay' | 'none';

export function streamModeFor(routes: ReadonlyArray<{ match: { task: string } }>, task: string | undefined, responseFormat?: unknown): StreamMode {
  if (taskMayHold(routes, task)) return 'none';
  const forTask = routesForTask(routes, task);
  const has = (field: string) => forTask.some((r) => Boolean((r as Record<string, unknown>)[field]));
  if (has('validation') || (responseFormat as { type?: unknown } | undefined)?.type === 'json_schema') return 'replay';
  return 'live';
}
