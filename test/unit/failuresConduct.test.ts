import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_SKIPPED_CHUNKS,
  WORKER_LOST_WAIT_MS,
  afterFailure,
  afterWorkerLost,
  backoffMs,
  hasPrefill,
  onMalformedChunk,
  skippedChunksWarning,
  withoutPrefill,
} from '../../src/providers/conduct';
import { streamModeFor } from '../../src/streaming/mode';
import { feedsBreaker, stoppedError } from '../../src/failures';
import type { AttemptRecord } from '../../src/temporal/contract';

const route = { retries: 2, maxRetryWaitMs: 10_000 };
const half = () => 0.5; // jitter factor exactly 1

describe('failure conduct after one failed try', () => {
  const rows: Array<[string, Parameters<typeof afterFailure>[0], number, ReturnType<typeof afterFailure>]> = [
    ['5xx, retries left → retry with backoff', { type: 'ProviderServerError', retryable: true }, 0, { kind: 'retry', delayMs: 200 }],
    ['5xx, second retry → doubled backoff', { type: 'ProviderServerError', retryable: true }, 1, { kind: 'retry', delayMs: 400 }],
    ['5xx, retries spent → fall back', { type: 'ProviderServerError', retryable: true }, 2, { kind: 'fallback' }],
    ['429 with Retry-After 3s → wait exactly that', { type: 'ProviderRateLimited', retryable: true, retryAfterMs: 3000 }, 0, { kind: 'retry', delayMs: 3000 }],
    ['429 with Retry-After over the budget → fall back now', { type: 'ProviderRateLimited', retryable: true, retryAfterMs: 30_000 }, 0, { kind: 'fallback' }],
    ['429 without Retry-After → 1 s backoff', { type: 'ProviderRateLimited', retryable: true }, 0, { kind: 'retry', delayMs: 1000 }],
    ['deadline passed → fall back at once', { type: 'ProviderTimeout', retryable: false }, 0, { kind: 'fallback' }],
    ['context too long → next model (never the same)', { type: 'ContextLengthExceeded', retryable: false }, 0, { kind: 'fallback' }],
    ['content policy → back to the caller', { type: 'ContentPolicyRejected', retryable: false }, 0, { kind: 'stop' }],
    ['plain 400 → back to the caller', { type: 'ProviderRejected', retryable: false }, 0, { kind: 'stop' }],
    ['stream broke after the caller saw part → stop', { type: 'StreamInterrupted', retryable: false }, 0, { kind: 'stop' }],
    ['unknown failure, not retryable → fall back', { type: 'TypeError', retryable: false }, 0, { kind: 'fallback' }],
  ];
  for (const [name, failure, used, want] of rows) {
    it(name, () => assert.deepEqual(afterFailure(failure, used, route, false, half), want));
  }

  it('a refused prefill restarts on the same model without it; if there is none, falls back', () => {
    const shape = { type: 'UnsupportedRequestShape', retryable: false };
    assert.deepEqual(afterFailure(shape, 0, route, true, half), { kind: 'reshape' });
    assert.deepEqual(afterFailure(shape, 0, route, false, half), { kind: 'fallback' });
    const body = { model: 'auto', messages: [{ role: 'user' as const, content: 'Hi' }, { role: 'assistant' as const, content: 'Sure,' }] };
    assert.equal(hasPrefill(body), true);
    assert.deepEqual(withoutPrefill(body).messages, [{ role: 'user', content: 'Hi' }]);
    assert.equal(hasPrefill(withoutPrefill(body)), false);
  });

  it('backoff is jittered ×0.5–1.5 and capped at 5 s', () => {
    assert.equal(backoffMs('ProviderServerError', 1, () => 0), 100);
    assert.equal(backoffMs('ProviderServerError', 1, () => 0.999), 300);
    assert.equal(backoffMs('ProviderRateLimited', 10, () => 0.5), 5000);
  });
});

describe('a lost worker is the gateway\'s failure, not the provider\'s', () => {
  it('re-runs the try after a short fixed wait, whatever the route\'s provider retries, up to workerRetries', () => {
    assert.deepEqual(afterWorkerLost(1, 2), { kind: 'retry', delayMs: WORKER_LOST_WAIT_MS });
    assert.deepEqual(afterWorkerLost(2, 2), { kind: 'retry', delayMs: WORKER_LOST_WAIT_MS });
    assert.deepEqual(afterWorkerLost(3, 2), { kind: 'stop' });
    assert.deepEqual(afterWorkerLost(1, 0), { kind: 'stop' });
    assert.deepEqual(afterWorkerLost(2), { kind: 'retry', delayMs: WORKER_LOST_WAIT_MS }, 'default: 2');
  });

  it('never feeds the model\'s circuit breaker (only failures the provider activity saw do)', () => {
    assert.equal(feedsBreaker('WorkerLost'), false);
  });

  it('spent: the caller\'s error names the gateway (503 gateway_worker_lost), not provider_error', () => {
    const attempts: AttemptRecord[] = [{ model: 'small', outcome: 'failed', error: 'WorkerLost' }, { model: 'small', outcome: 'failed', error: 'WorkerLost' }];
    const err = stoppedError(attempts[1]!, attempts);
    assert.equal(err.status, 503);
    assert.equal(err.code, 'gateway_worker_lost');
    assert.equal(err.toBody().error.type, 'api_error');
    assert.match(err.message, /lost the worker running the call to small \(2 times\); the provider did not fail/);
  });
});

describe('a malformed chunk in an otherwise healthy stream', () => {
  it('is skipped up to the bound; one more, or any on a strict route, fails the try', () => {
    assert.equal(onMalformedChunk(0, false), 'skip');
    assert.equal(onMalformedChunk(MAX_SKIPPED_CHUNKS - 1, false), 'skip');
    assert.equal(onMalformedChunk(MAX_SKIPPED_CHUNKS, false), 'fail');
    assert.equal(onMalformedChunk(0, true), 'fail');
  });

  it('is reported as a warning naming the provider', () => {
    assert.equal(skippedChunksWarning('openai', 1), 'provider openai: 1 malformed stream chunk skipped');
    assert.equal(skippedChunksWarning('openai', 2), 'provider openai: 2 malformed stream chunks skipped');
  });
});

describe('how a stream: true request is answered', () => {
  const routes = [
    { match: { task: 'chat' } },
    { match: { task: 'draft' }, review: { when: ['always'] } },
    { match: { task: 'extract' }, validation: { maxChars: 10 } },
  ];
  it('live, replayed after validation, or not streamed where a human reviews', () => {
    assert.equal(streamModeFor(routes, 'chat'), 'live');
    assert.equal(streamModeFor(routes, 'draft'), 'none');
    assert.equal(streamModeFor(routes, 'extract'), 'replay');
    assert.equal(streamModeFor(routes, 'chat', { type: 'json_schema', json_schema: { name: 'x', schema: {} } }), 'replay');
    assert.equal(streamModeFor(routes, 'chat', { type: 'text' }), 'live');
  });
});
