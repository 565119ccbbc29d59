import type { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ChatCompletion } from '../src/config/api';
import { onMalformedChunk } from '../src/providers/conduct';
import type { Deadlines } from '../src/providers/deadlines';
import type { ChatProvider } from '../src/providers/types';
import type { AttemptStream, StreamRegistry } from '../src/streaming/registry';
import type { ProviderCallInput } from './callProvider';

/** How long a try whose caller hung up waits for Temporal's cancellation to reach it (heartbeats carry it). */
const CANCEL_GRACE_MS = 10_000;

/**
 * One streamed try: reads the upstream stream, pushes each chunk into the side channel (when the
 * caller's HTTP handler lives in this process) and heartbeats as chunks arrive. A caller who hangs
 * up aborts the upstream call here at once, before the workflow's cancellation even arrives.
 */
export class StreamedAttempt {
  private readonly hangUp = new AbortController();
  private readonly stream?: AttemptStream;
  /** Malformed chunks this try skipped (reported on the attempt and as a warning). */
  skipped = 0;

  constructor(
    private readonly ctx: Context,
    private readonly input: ProviderCallInput,
    streams: StreamRegistry | undefined,
  ) {
    const info = { model: input.model, attempt: input.attempt ?? 1 };
    this.stream = streams?.open(input.requestId, info, () => this.hangUp.abort(new Error('the caller disconnected')));
  }

  /** Did any chunk of this try reach the caller? (Then a failure cannot fail over unseen.) */
  get delivered(): boolean {
    return this.stream?.delivered ?? false;
  }

  get callerGone(): boolean {
    return this.hangUp.signal.aborted && !this.ctx.cancellationSignal.aborted;
  }

  async run(provider: ChatProvider, deadlines: Deadlines): Promise<ChatCompletion> {
    if (!provider.stream) throw new Error('this provider cannot stream');
    const completion = await provider.stream(this.input.upstream, this.input.body, {
      signal: AbortSignal.any([this.ctx.cancellationSignal, this.hangUp.signal]),
      deadlines,
      onChunk: (chunk) => {
        this.stream?.push(chunk);
        if (!this.ctx.info.isLocal) this.ctx.heartbeat(); // throttled by the SDK; keeps a long stream visibly alive
      },
      skipMalformed: () => {
        if (onMalformedChunk(this.skipped, this.input.strictStreams === true) === 'fail') return false;
        this.skipped++;
        return true;
      },
    });
    this.stream?.finish();
    return completion;
  }

  /**
   * The caller hung up: the upstream call is already stopped. Wait for the workflow's cancellation
   * (so the request is recorded as cancelled, not failed); if it never comes, fail without retry.
   */
  async awaitCancellation(): Promise<unknown> {
    const grace = new Promise((resolve) => setTimeout(resolve, CANCEL_GRACE_MS).unref());
    try {
      await Promise.race([this.ctx.cancelled, grace]);
    } catch (cancelled) {
      return cancelled;
    }
    return ApplicationFailure.nonRetryable('the caller disconnected', 'CallerDisconnected');
  }
}
