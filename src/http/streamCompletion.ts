import type { FastifyReply } from 'fastify';
import { GatewayError } from '../errors';
import { ChunkAssembler } from '../streaming/assemble';
import type { StreamPresenter } from '../streaming/presenter';
import type { Subscription } from '../streaming/registry';
import type { RelayFeed } from '../streaming/relayFeed';
import { remainderAfter } from '../streaming/resync';
import type { AiRequestInput, GatewayResponse } from '../temporal/contract';
import { requestWorkflowId, type RequestHandle } from '../temporal/requestStarter';
import { resultOrHold } from '../temporal/outcome';
import { toGatewayError } from './errorHandler';
import { replyAccepted } from './requests';
import type { HttpDeps } from './server';
import { SseResponse } from './sse';

export type StartInput = Omit<AiRequestInput, 'requestId'>;

/** A caller that leaves this much unread stops getting live relayed chunks (the rest comes at the end). */
const MAX_UNREAD_BYTES = 1 << 20;
/** How long the end of a relayed stream waits for the try's last messages once the workflow answered. */
const RELAY_SETTLE_MS = 2000;

/** A relayed stream: the feed, and what the caller was shown (to finish it from the result if the feed broke). */
interface Relayed {
  feed: RelayFeed;
  shown: ChunkAssembler;
}

/**
 * `stream: true`: the workflow runs exactly as for a plain request (the durable record), while this
 * handler forwards the committed attempt's chunks from the side channel as SSE. Before the first
 * chunk, every failure is a normal HTTP error; after it, the broken try is continued where the
 * route and a model allow (src/streaming/continuation.ts: the continuation's chunks follow the
 * delivered ones), else an error event and no `[DONE]`. A caller who hangs up cancels the workflow,
 * which stops the provider call and any retries. Live chunks and the hang-up apply only to the call
 * that started the workflow (the starter says so): a repeat of the same key rejoins, gets the stored
 * answer replayed, and its hang-up cancels nothing.
 * The same path for every API format: `present` turns chunks into that format's events.
 */
export async function streamChatCompletion(
  reply: FastifyReply,
  deps: HttpDeps,
  input: StartInput,
  opts: { idempotencyKey?: string; live: boolean; present: StreamPresenter; mayQueue?: boolean },
): Promise<unknown> {
  const present = opts.present;
  // Known before the start: the side channel is claimed under it first (chunks held back until confirmed).
  const requestId = requestWorkflowId(input.credential, opts.idempotencyKey);
  const headers: Record<string, string> = { 'x-gatehouse-request-id': requestId };
  const sse = new SseResponse(reply, () => headers);
  let firstAttempt: number | undefined; // a chunk of a later attempt continues it (one message)
  let relayed: Relayed | undefined;
  let subscription = opts.live && deps.streams
    ? deps.streams.subscribe(requestId, {
        chunk: (chunk, from) => {
          headers['x-gatehouse-model'] ??= from.model;
          firstAttempt ??= from.attempt;
          relayed?.shown.add(chunk);
          sse.send(present.chunk(chunk, from.model, from.attempt !== firstAttempt));
        },
      })
    : undefined;
  // Across processes (Redis): listening starts before the workflow does, so no chunk is published unheard.
  const feed = subscription && deps.relay
    ? await deps.relay.listen(requestId, deps.streams!, { live: () => subscription?.live === true, congested: () => reply.raw.writableLength > MAX_UNREAD_BYTES })
    : undefined;
  if (feed) relayed = { feed, shown: new ChunkAssembler() };
  let over = false; // the workflow answered: the relay's state for it can go
  // Set only once the starter says this call created the workflow: nothing else may cancel it.
  let owned: RequestHandle | undefined;
  let accepted = false; // answered 202 (queued): the request lives on without this connection
  const onClose = () => {
    // Ours to end, or a repeat (same idempotency key) watching its earlier request: not a hang-up.
    if (sse.completed || !owned || accepted) return;
    subscription?.abortRunning();
    relayed?.feed.hangUp();
    owned.cancel().catch((err: unknown) => reply.log.warn({ err, requestId }, 'cancelling a disconnected stream failed'));
  };
  reply.raw.on('close', onClose);
  try {
    const { handle, fresh } = await deps.starter.start(input, opts.idempotencyKey, requestId);
    if (fresh) {
      owned = handle;
      subscription?.confirm();
    } else {
      // A rejoin: no live chunks, no cancellation; the stored answer is replayed below.
      subscription?.close();
      subscription = undefined;
      relayed?.feed.close();
      relayed = undefined;
    }
    if (reply.raw.destroyed) onClose(); // hung up while the workflow was being started
    void reply.header('x-gatehouse-request-id', handle.workflowId);
    // A route with a queue: nothing streams while the request waits; past `holdSync` the caller
    // gets 202 + Location like a plain request (no chunk can have been sent by then).
    const outcome = opts.mayQueue ? await resultOrHold(deps.starter, handle) : { held: false as const, response: await deps.starter.result(handle) };
    over = !outcome.held;
    if (outcome.held && !sse.started) {
      accepted = true;
      return replyAccepted(reply, handle.workflowId, outcome.status);
    }
    if (outcome.held) throw new GatewayError('ProviderUnavailable', 'stream_interrupted', 'The stream was interrupted; the complete answer is stored under the request id');
    await finishStream(sse, subscription, outcome.response, present, headers, relayed);
  } catch (err) {
    if (reply.raw.destroyed) return void reply.hijack(); // the caller is gone; nobody to tell
    if (!sse.started) throw err; // nothing sent yet: a plain HTTP error with its status
    sse.fail(present.error(toGatewayError(err)));
  } finally {
    reply.raw.off('close', onClose);
    subscription?.close();
    relayed?.feed.close(over);
  }
}

/** The workflow answered: close the live stream, or replay the whole answer if nothing went live. */
async function finishStream(sse: SseResponse, sub: Subscription | undefined, result: GatewayResponse, present: StreamPresenter, headers: Record<string, string>, relayed?: Relayed): Promise<void> {
  headers['x-gatehouse-model'] = result.gatehouse.model;
  headers['x-gatehouse-route'] = result.gatehouse.route;
  const committed = sub?.committed;
  if (committed && !committed.finished && relayed) {
    // Relayed chunks may trail the workflow's answer; if they do not come (or the feed broke), the
    // rest is taken from the result, but only where it provably continues what the caller has.
    await relayed.feed.settle(() => committed.finished, RELAY_SETTLE_MS);
    if (!committed.finished && relayed.shown.chunks === 0) return sse.done(present.finish(result, true));
    const rest = committed.finished ? 'none' : remainderAfter(relayed.shown.completion(), result, committed.info.attempt);
    if (rest) {
      if (rest !== 'none') sse.send(present.chunk(rest, result.gatehouse.model, true));
      return sse.done(present.finish(result, false));
    }
  }
  if (committed && !committed.finished) {
    // The caller saw part of an attempt that died and no continuation of it finished: the answer
    // came from another try, never spliced onto the first (a continuation is the only splice).
    sse.fail(present.error(new GatewayError('ProviderUnavailable', 'stream_interrupted', 'The stream was interrupted; the complete answer is stored under the request id')));
    return;
  }
  sse.done(present.finish(result, !committed));
}
