import { z } from 'zod';
import { DurationSchema } from './durationSchema';
import { DataClassSchema } from './routing';

/**
 * A route's exact response cache (opt-in): the same request (messages, tools, sampling
 * parameters) on the same model, within `ttl`, in the same scope, is answered from the cache —
 * still a workflow (policy, limits, ledger, history), but no provider call.
 */
export const RouteCacheSchema = z.strictObject({
  ttl: DurationSchema,
  /** Who shares an entry: the same caller (default), the caller's team, or everyone on the route. */
  scope: z.enum(['caller', 'team', 'global']).default('caller'),
  /** Answers sampled with `temperature > 0` vary by design: cached only when the route says so. */
  anyTemperature: z.boolean().default(false),
  /** Data classes whose answers may be kept (detected on the prompt); others are never cached. */
  dataClasses: z.array(DataClassSchema).min(1).default(['public', 'internal']),
  /** The caller's `Cache-Control: no-cache` / `no-store` is honoured (`allow`, default) or ignored (`deny`). */
  callerBypass: z.enum(['allow', 'deny']).default('allow'),
});

export type RouteCache = z.infer<typeof RouteCacheSchema>;
