import type { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ChatCompletion } from '../src/config/api';
import { onMalformedChunk } from '../src/providers/conduct';
import { estimateTokens, tokenizerFor } from '../src/cost/tokens';
import { ChunkAssembler } from '../src/streaming/assemble';
import { NO_USAGE, addUsage, type DeliveredPart } from '../src/streaming/continuation';
import type { Deadlines } from '../src/providers/deadlines';
import type { ChatProvider } from '../src/providers/types';
import type { AttemptStream, StreamRegistry } from '../src/streaming/registry';
import type { RelayAttempt, StreamRelay } from '../src/streaming/relay';
import type { ProviderCallInput } from './callProvider';

/** How long a try whose caller hung up waits for Temporal's cancellation to reach it (heartbeats carry it). */
const CANCEL_GRACE_MS = 10_000;

/**
 * One streamed try: reads the upstream stream, pushes each chunk into the side channel (the
 * in-process registry when the caller's HTTP handler lives in this process, or the relay whatever
 * process holds it) and heartbeats as chunks arrive. A caller who hangs
 * up aborts the upstream call here at once, before the workflow's cancellation even arrives.
 */
export class StreamedAttempt {
  private readonly hangUp = new AbortController();
  private readonly stream?: AttemptStream;
  /** With a relay (Redis), chunks go through it whatever process holds the caller (src/streaming/relay.ts). */
  private readonly relayed?: RelayAttempt;
  /** Malformed chunks this try skipped (reported on the attempt and as a warning). */
  skipped = 0;
  /** Every chunk pushed: once the try is delivered, exactly what the caller has of it. */
  private readonly seen = new ChunkAssembler();
  /** When the first chunk arrived (performance.now()), for the time-to-first-token series. */
  firstChunkAt?: number;

  constructor(
    private readonly ctx: Context,
    private readonly input: ProviderCallInput,
    streams: StreamRegistry | undefined,
    relay?: StreamRelay,
  ) {
    const info = { model: input.model, attempt: input.attempt ?? 1, ...(input.continues ? { continues: true } : {}) };
    const abort = () => this.hangUp.abort(new Error('the caller disconnected'));
    if (relay) this.relayed = relay.attempt(input.requestId, info, abort);
    else this.stream = streams?.open(input.requestId, info, abort);
  }

  /** Did any chunk of this try reach the caller? (Then a failure cannot fail over unseen.) */
  async delivered(): Promise<boolean> {
    return this.relayed ? this.relayed.delivered() : (this.stream?.delivered ?? false);
  }

  get callerGone(): boolean {
    return this.hangUp.signal.aborted && !this.ctx.cancellationSignal.aborted;
  }

  async run(provider: ChatProvider, deadlines: Deadlines): Promise<ChatCompletion> {
    if (!provider.stream) throw new Error('this provider cannot stream');
    try {
      return await this.read(provider.stream.bind(provider), deadlines);
    } finally {
      this.relayed?.end();
    }
  }

  private async read(stream: NonNullable<ChatProvider['stream']>, deadlines: Deadlines): Promise<ChatCompletion> {
    const completion = await stream(this.input.upstream, this.input.body, {
      signal: AbortSignal.any([this.ctx.cancellationSignal, this.hangUp.signal]),
      deadlines,
      onChunk: (chunk) => {
        this.firstChunkAt ??= performance.now();
        this.seen.add(chunk);
        this.stream?.push(chunk);
        this.relayed?.push(chunk);
        if (!this.ctx.info.isLocal) this.ctx.heartbeat(); // throttled by the SDK; keeps a long stream visibly alive
      },
      skipMalformed: () => {
        if (onMalformedChunk(this.skipped, this.input.strictStreams === true) === 'fail') return false;
        this.skipped++;
        return true;
      },
    });
    this.stream?.finish();
    this.relayed?.finish();
    return completion;
  }

  /**
   * What the caller has of the answer once this try broke after delivery: the text before it (a
   * continuation's start) and this try's, with usage estimated (a broken stream reports none).
   */
  deliveredPart(): DeliveredPart {
    const before = this.input.continues;
    const answer = this.seen.completion();
    const choice = answer.choices[0];
    const message = (choice?.message ?? {}) as { content?: string | null; refusal?: string | null; tool_calls?: unknown[] };
    const text = message.content ?? '';
    const count = tokenizerFor(this.input.upstream);
    const estimated = this.seen.usage === undefined;
    const prompt = estimated ? estimateTokens(this.input.body.messages, this.input.upstream) : 0;
    const usage = this.seen.usage ?? { prompt_tokens: prompt, completion_tokens: count(text), total_tokens: prompt + count(text) };
    return {
      text: (before?.text ?? '') + text,
      chunks: (before?.chunks ?? 0) + this.seen.chunks,
      continuable: (before?.continuable ?? true) && answer.choices.length === 1 && !message.refusal && !message.tool_calls?.length,
      usage: addUsage(before?.usage ?? NO_USAGE, usage),
      usageEstimated: (before?.usageEstimated ?? false) || estimated,
    };
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
