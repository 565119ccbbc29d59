/**
 * The Temporal client's own failures leave as a 503 with a stable code, never a bare 500: the errors
 * are made exactly as the SDK makes them (core-bridge's conversion of the native error, wrapped by
 * the workflow client's rethrowGrpcError), from the shapes seen in the gateway's logs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServiceError, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { errors as bridge } from '@temporalio/core-bridge';
import { toGatewayError } from '../../src/http/errorHandler';
import { isRetryableRead, temporalUnavailable } from '../../src/temporal/unavailable';

/** What `handle.result()` rejects with when the bridge reports `native` (workflow-client.ts rethrowGrpcError). */
function fromResult(native: Error | Record<string, unknown>): Error {
  const converted = bridge.convertFromNamedError(native instanceof Error ? native : Object.assign(new Error(String(native.message)), native), false) as Error;
  const grpc = typeof (converted as { details?: unknown }).details === 'string';
  return new ServiceError(grpc ? 'Failed to get Workflow execution history' : 'Unexpected error while making gRPC request', { cause: converted });
}

const dropped = () => fromResult(new Error('`neon::types::Deferred` was dropped without being settled'));
const grpcStatus = (code: number, name: string) => fromResult({ name: 'ServiceError', message: `${code} ${name}: x`, code, details: 'x', metadata: {} });

describe('Temporal client failures', () => {
  it('a long poll dropped by the closing connection is a 503 gateway_stopping, not a 500', () => {
    const err = dropped();
    assert.equal((err.cause as Error).name, 'NativePromiseDroppedError', 'the error the gateway logged');
    const ge = toGatewayError(err);
    assert.equal(ge.status, 503);
    assert.equal(ge.code, 'gateway_stopping');
    assert.equal(ge.kind, 'Unavailable');
    assert.equal(isRetryableRead(err), false, 'a closed connection is not worth another poll');
  });

  it('a shut-down or broken client is a 503 too', () => {
    for (const name of ['ShutdownError', 'TransportError']) {
      const err = fromResult(Object.assign(new Error('gone'), { name }));
      assert.equal(toGatewayError(err).status, 503, name);
    }
  });

  it('UNAVAILABLE, DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED on the long poll are retried, then a 503 temporal_unavailable', () => {
    for (const [code, name] of [[14, 'UNAVAILABLE'], [4, 'DEADLINE_EXCEEDED'], [8, 'RESOURCE_EXHAUSTED']] as const) {
      const err = grpcStatus(code, name);
      assert.equal(isRetryableRead(err), true, name);
      const ge = toGatewayError(err);
      assert.deepEqual([ge.status, ge.code], [503, 'temporal_unavailable'], name);
    }
    const cancelled = grpcStatus(1, 'CANCELLED');
    assert.equal(isRetryableRead(cancelled), false);
    assert.equal(toGatewayError(cancelled).status, 503);
  });

  it('a cancelled request (what its repeat rejoins) is the 409 request_cancelled of GET /v1/requests/{id}', () => {
    const cancelled = new WorkflowFailedError('Workflow execution cancelled', new CancelledFailure('Workflow canceled'), 'NON_RETRYABLE_FAILURE');
    const ge = toGatewayError(cancelled);
    assert.deepEqual([ge.status, ge.code], [409, 'request_cancelled']);
  });

  it('anything else is left alone: a workflow outcome keeps its own status, a bug stays a 500', () => {
    const refused = new WorkflowFailedError('Workflow execution failed', ApplicationFailure.create({ type: 'InvalidRequest', message: 'no', nonRetryable: true, details: [{ status: 400, code: 'bad' }] }), 'NON_RETRYABLE_FAILURE');
    assert.equal(toGatewayError(refused).status, 400);
    assert.equal(temporalUnavailable(grpcStatus(3, 'INVALID_ARGUMENT')), undefined);
    assert.equal(toGatewayError(grpcStatus(3, 'INVALID_ARGUMENT')).status, 500);
    assert.equal(toGatewayError(new TypeError('x is undefined')).status, 500);
  });
});
