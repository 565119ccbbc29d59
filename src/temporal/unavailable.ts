import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { GatewayError } from '../errors';

/**
 * The Temporal client's own failures (not a workflow's outcome): the connection was closed under a
 * pending call (core-bridge's `NativePromiseDroppedError`, `ShutdownError`), the transport broke, or
 * the server answered a gRPC status that says "not now". None is the caller's fault and none is a
 * bug in the gateway, so they leave as a 503 with a stable code instead of a bare 500.
 */
const CLIENT_GONE = new Set(['NativePromiseDroppedError', 'ShutdownError', 'TransportError', 'IllegalStateError']);

/** gRPC codes worth another try of an idempotent read such as the result's long poll. */
const RETRYABLE = new Set([
  4, // DEADLINE_EXCEEDED
  8, // RESOURCE_EXHAUSTED
  14, // UNAVAILABLE
]);
/** gRPC codes that mean the call could not be completed now (CANCELLED: the connection went away). */
const UNAVAILABLE = new Set([1, ...RETRYABLE]);

interface Chained {
  name?: string;
  code?: unknown;
  details?: unknown;
  metadata?: unknown;
  cause?: unknown;
}

function* causes(err: unknown): Generator<Chained> {
  for (let cur = err, depth = 0; cur instanceof Error && depth < 8; cur = (cur as Chained).cause, depth++) yield cur as Chained;
}

/** A gRPC status as the client reports it (`isGrpcServiceError`'s shape), else undefined. */
function grpcCode(e: Chained): number | undefined {
  return typeof e.code === 'number' && typeof e.details === 'string' && typeof e.metadata === 'object' ? e.code : undefined;
}

/** True when `err` is the client's connection closing under a call (the gateway is stopping). */
export function isClientClosed(err: unknown): boolean {
  return [...causes(err)].some((e) => CLIENT_GONE.has(e.name ?? ''));
}

/** True for a transient server status on which an idempotent read may simply be repeated. */
export function isRetryableRead(err: unknown): boolean {
  if (isClientClosed(err)) return false;
  return [...causes(err)].some((e) => RETRYABLE.has(grpcCode(e) ?? -1));
}

/** The 503 for a Temporal client failure, or undefined when `err` is something else. */
export function temporalUnavailable(err: unknown): GatewayError | undefined {
  if (isClientClosed(err)) return stopping();
  if ([...causes(err)].some((e) => UNAVAILABLE.has(grpcCode(e) ?? -1))) {
    return new GatewayError('Unavailable', 'temporal_unavailable', 'The gateway cannot reach its durable store right now; retry later (a keyed request can be fetched by its request id)');
  }
  return undefined;
}

/** The gateway is stopping: a request still waiting for its answer is told so (its workflow runs on). */
export function stopping(): GatewayError {
  return new GatewayError('Unavailable', 'gateway_stopping', 'The gateway is stopping; the request continues and its answer can be fetched by its request id');
}

/**
 * A request whose workflow was cancelled (a streamed caller hung up, an operator cancelled it) has
 * no answer to give a repeat of it: the same 409 `request_cancelled` as `GET /v1/requests/{id}`.
 */
export function cancelledRequest(err: unknown): GatewayError | undefined {
  if (!(err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure)) return undefined;
  return new GatewayError('Conflict', 'request_cancelled', 'The request was cancelled; send it again with a new Idempotency-Key');
}
