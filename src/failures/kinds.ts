import type { ProviderFailureType } from '../providers/upstreamError';

/**
 * Every failure the gateway knows, by the name it travels under (the ApplicationFailure type of a
 * try, the `error` of its attempt record). Plain constants: workflow code may import them.
 */
export type FailureKind =
  /** What a provider did (src/providers/upstreamError.ts); ProviderTimeout is any of the four deadlines. */
  | ProviderFailureType
  /** The kill switch refused the try: the model, or the request's route, is disabled (activities/killSwitch.ts). */
  | 'ModelDisabled'
  | 'RouteDisabled'
  /** The worker running the try died (heartbeat timeout): the provider is not to blame. */
  | 'WorkerLost'
  /** A streaming caller hung up and the workflow's cancellation never reached the try. */
  | 'CallerDisconnected'
  /** The answer failed the route's output validation (workflows/checkedAnswer.ts). */
  | 'OutputValidationFailed'
  /** The request waited in the route's queue for longer than its `maxWait`. */
  | 'QueueTimeout';

export const MODEL_DISABLED = 'ModelDisabled' satisfies FailureKind;
export const ROUTE_DISABLED = 'RouteDisabled' satisfies FailureKind;
export const WORKER_LOST = 'WorkerLost' satisfies FailureKind;
export const CALLER_DISCONNECTED = 'CallerDisconnected' satisfies FailureKind;
export const OUTPUT_VALIDATION_FAILED = 'OutputValidationFailed' satisfies FailureKind;
export const QUEUE_TIMEOUT = 'QueueTimeout' satisfies FailureKind;

export function isKillSwitchFailure(type: string | undefined): boolean {
  return type === MODEL_DISABLED || type === ROUTE_DISABLED;
}
