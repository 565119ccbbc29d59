import type { ChatCompletion } from '../config/api';
import type { ChunkAssembler } from '../streaming/assemble';
import type { AttemptWatchdog } from './deadlines';
import { UpstreamError } from './upstreamError';

/**
 * How every adapter's stream attempt ends when reading it threw: the caller's own cancellation
 * passes through (not a provider fault); a provider that said everything and then merely failed to
 * close is not at fault (the answer stands); a deadline is the watchdog's error; anything else is
 * the provider's, mapped by the adapter's classifier.
 */
export function endBrokenStream(err: unknown, signal: AbortSignal, watchdog: AttemptWatchdog, answer: ChunkAssembler, mapError: (err: unknown) => unknown): ChatCompletion {
  if (signal.aborted) throw signal.reason ?? err;
  if (watchdog.expired === 'idle' && answer.finished) return answer.completion();
  if (watchdog.expired) throw watchdog.error();
  throw err instanceof UpstreamError ? err : mapError(err);
}

/**
 * How a whole-answer call (complete, embed) ends when it threw: the caller's cancellation passes
 * through, a deadline is the watchdog's error, anything else is the provider's, mapped by the adapter.
 */
export function endFailedCall(err: unknown, signal: AbortSignal, watchdog: AttemptWatchdog, mapError: (err: unknown) => unknown): never {
  if (signal.aborted) throw signal.reason ?? err;
  if (watchdog.expired) throw watchdog.error();
  throw mapError(err);
}
