import { z } from 'zod';
import { DurationSchema } from './durationSchema';

/**
 * Per-route failure conduct: deadlines and the longest retry wait; merged into RouteSchema.
 * (Durations from durationSchema.ts, not schema.ts, which imports this file.)
 */
const Duration = DurationSchema;

export const DeadlinesSchema = z.strictObject({
  /** Request sent → response headers (connect included). Streaming only. */
  headers: Duration.optional(),
  /** Response headers → first chunk. Streaming only. */
  firstToken: Duration.optional(),
  /** Longest silence between two chunks. Streaming only. */
  idle: Duration.optional(),
  /** The whole attempt; default: the route's `timeout`. */
  total: Duration.optional(),
});

/**
 * Fallback to waiting: when no candidate can answer (breakers open, kill switch, a provider outage
 * or rate limits on every model), the request waits durably and is planned and tried again, up to
 * `maxWait`. A synchronous caller gets 202 + Location after `holdSync` (src/queue/decide.ts).
 */
export const QueueSchema = z.strictObject({
  maxWait: Duration,
  holdSync: Duration.default('10s'),
});

export const RouteResilience = {
  /** Unset fields impose nothing shorter than `total`. */
  deadlines: DeadlinesSchema.optional(),
  /** A Retry-After (or backoff) longer than this is not waited out: the next model goes at once. */
  maxRetryWait: Duration.default('10s'),
  /**
   * `local` runs the provider call as a local activity inside the workflow task: no task-queue round
   * trip and no extra workflow task, the fastest path for short calls. Costs: a call longer than the
   * workflow task timeout (10 s) makes the SDK heartbeat the task, and a worker crash is noticed by
   * the task timeout instead of a 5 s heartbeat. `activity` (default) suits long or streaming calls.
   */
  providerCall: z.enum(['activity', 'local']).default('activity'),
  /**
   * Re-runs of a try whose worker died mid-call (heartbeat lost): not the provider's failure, so
   * outside `retries`; spent, the caller gets 503 `gateway_worker_lost`.
   */
  workerRetries: z.number().int().min(0).max(10).default(2),
  /**
   * `true`: a malformed chunk in a stream fails the try (fail over before anything reached the
   * caller). Default: a few malformed chunks among valid ones are skipped and reported.
   */
  strictStreams: z.boolean().default(false),
  /**
   * A stream that breaks after the caller saw part of the answer is continued by the next try (the
   * same model while retries remain, then fallbacks) from exactly the text the caller has, on models
   * that accept an assistant prefill (the model's `prefill`). `false`: such a stream ends with an error event.
   */
  continuation: z.boolean().default(true),
  /** Absent: no waiting (a request nothing can answer fails at once, as always). */
  queue: QueueSchema.optional(),
};

export type DeadlinesConfig = z.infer<typeof DeadlinesSchema>;
export type QueueConfig = z.infer<typeof QueueSchema>;
