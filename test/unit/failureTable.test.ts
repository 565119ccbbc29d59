import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CALLER_DISCONNECTED,
  FAILURE_CONDUCT,
  FAILURE_KINDS,
  MODEL_DISABLED,
  OUTPUT_VALIDATION_FAILED,
  QUEUE_TIMEOUT,
  ROUTE_DISABLED,
  WORKER_LOST,
  conductOf,
  conductTableMarkdown,
  exhaustedError,
  feedsBreaker,
  isFailureKind,
  stoppedError,
  type FailureKind,
} from '../../src/failures';
import { afterFailure } from '../../src/providers/conduct';
import { FALLBACK_ON, UpstreamError, classifyUpstreamError } from '../../src/providers/upstreamError';
import type { AttemptRecord } from '../../src/temporal/contract';

/** Every kind, spelled out: the compiler rejects a missing or extra name here, the test a missing row. */
const EVERY_KIND: Record<FailureKind, true> = {
  ProviderRateLimited: true,
  ProviderServerError: true,
  ProviderConnectionError: true,
  ProviderMalformedResponse: true,
  ProviderTimeout: true,
  ProviderAuthError: true,
  ContextLengthExceeded: true,
  ContentPolicyRejected: true,
  ProviderRejected: true,
  UnsupportedRequestShape: true,
  StreamInterrupted: true,
  ModelDisabled: true,
  RouteDisabled: true,
  WorkerLost: true,
  CallerDisconnected: true,
  OutputValidationFailed: true,
  QueueTimeout: true,
};

const kindsWhere = (pick: (k: FailureKind) => boolean) => FAILURE_KINDS.filter(pick).sort();

describe('the failure table: one row per failure kind', () => {
  it('every FailureKind has exactly one row, with a caller status and a stable code', () => {
    assert.deepEqual([...FAILURE_KINDS].sort(), Object.keys(EVERY_KIND).sort());
    for (const k of FAILURE_KINDS) {
      const { caller } = FAILURE_CONDUCT[k];
      assert.ok(caller.status >= 400 && caller.status < 600, `${k}: status ${caller.status}`);
      assert.match(caller.code, /^[a-z_]+$/, k);
    }
  });

  it('every failure type the gateway produces is a known kind (none falls to the unknown row)', () => {
    const samples = [
      new UpstreamError('http', 'x', 500), new UpstreamError('http', 'x', 429), new UpstreamError('http', 'x', 401),
      new UpstreamError('http', 'x', 400), new UpstreamError('http', 'x', 400, 'context_length_exceeded'),
      new UpstreamError('http', 'x', 400, 'content_filter'), new UpstreamError('http', 'x', 400, 'unsupported_prefill'),
      new UpstreamError('timeout', 'x', undefined, 'deadline_idle'), new UpstreamError('connection', 'x'), new UpstreamError('malformed', 'x'),
    ];
    const produced = [...samples.map((e) => classifyUpstreamError(e, 1000).type), classifyUpstreamError(samples[0]!, 1000, true).type];
    for (const type of [...produced, MODEL_DISABLED, ROUTE_DISABLED, WORKER_LOST, CALLER_DISCONNECTED, OUTPUT_VALIDATION_FAILED, QUEUE_TIMEOUT]) {
      assert.ok(isFailureKind(type), type);
    }
  });

  it('the old lists hold: fallback set, breaker set, and what goes straight back to the caller', () => {
    // FALLBACK_ON (upstreamError.ts) before the table, plus the kill switch (an unknown name then: fell back). A lost
    // worker no longer falls back (#14): the other models run on the same workers; it is re-run within workerRetries.
    assert.deepEqual(kindsWhere((k) => FAILURE_CONDUCT[k].nextCandidate), [
      'ContextLengthExceeded', 'ModelDisabled', 'OutputValidationFailed', 'ProviderAuthError', 'ProviderConnectionError', 'ProviderMalformedResponse',
      'ProviderRateLimited', 'ProviderServerError', 'ProviderTimeout', 'RouteDisabled', 'UnsupportedRequestShape',
    ]);
    assert.deepEqual([...FALLBACK_ON].sort(), kindsWhere((k) => FAILURE_CONDUCT[k].nextCandidate));
    // BREAKER_COUNTS (activities/callProvider.ts) before the table.
    assert.deepEqual(kindsWhere((k) => feedsBreaker(k)), [
      'ProviderConnectionError', 'ProviderMalformedResponse', 'ProviderRateLimited', 'ProviderServerError', 'ProviderTimeout', 'StreamInterrupted',
    ]);
    assert.deepEqual(kindsWhere((k) => !FAILURE_CONDUCT[k].nextCandidate), ['CallerDisconnected', 'ContentPolicyRejected', 'ProviderRejected', 'QueueTimeout', 'StreamInterrupted', 'WorkerLost']);
  });

  it('only a stream that broke after delivery may be continued (a cut, stall or reset then arrives as StreamInterrupted)', () => {
    assert.deepEqual(kindsWhere((k) => FAILURE_CONDUCT[k].continuation), ['StreamInterrupted']);
  });

  it('an unknown type name (a bug) keeps today\'s conduct: retry if retryable, fall back, never the breaker', () => {
    for (const type of ['TypeError', 'ProviderError', undefined, 'constructor', 'toString']) {
      const row = conductOf(type);
      assert.equal(row.retrySameModel, true);
      assert.equal(row.nextCandidate, true);
      assert.equal(row.feedsBreaker, false);
      assert.deepEqual(row.caller, { kind: 'ProviderUnavailable', status: 502, code: 'provider_error' });
    }
  });

  it('renders as a markdown table with a row per kind and one for unknown names', () => {
    const lines = conductTableMarkdown().split('\n');
    assert.equal(lines.length, 2 + FAILURE_KINDS.length + 1);
    assert.match(lines.find((l) => l.startsWith('| `RouteDisabled`'))!, /\| no \| yes \| no \| no \| yes \| no \| 503 `route_disabled` \|/);
  });

  it('waiting (a queue) and the degraded plan follow only failures that say the model could not answer now', () => {
    assert.deepEqual(kindsWhere((k) => FAILURE_CONDUCT[k].unavailable.wait), [
      'ModelDisabled', 'ProviderConnectionError', 'ProviderRateLimited', 'ProviderServerError', 'ProviderTimeout', 'RouteDisabled',
    ]);
    assert.deepEqual(kindsWhere((k) => FAILURE_CONDUCT[k].unavailable.degraded), [
      'ModelDisabled', 'ProviderAuthError', 'ProviderConnectionError', 'ProviderMalformedResponse', 'ProviderRateLimited', 'ProviderServerError',
      'ProviderTimeout', 'WorkerLost',
    ]);
  });

  it('README.md and docs/requests.md carry the table as the code has it', () => {
    for (const file of ['README.md', 'docs/requests.md']) {
      const doc = readFileSync(join(__dirname, '../..', file), 'utf8');
      assert.ok(doc.includes(conductTableMarkdown()), `${file}: regenerate with npx tsx -e "import { conductTableMarkdown } from './src/failures'; console.log(conductTableMarkdown())"`);
    }
  });
});

const failed = (model: string, error: string, extra: Partial<AttemptRecord> = {}): AttemptRecord => ({ model, outcome: 'failed', error, message: `${error} on ${model}`, ...extra });

describe('what the caller gets when every candidate failed', () => {
  it('a route disabled after a real failure answers 503 route_disabled, not 502 provider_error', () => {
    const e = exhaustedError([failed('first', 'ProviderServerError', { status: 500 }), failed('second', ROUTE_DISABLED)]);
    assert.equal(e.status, 503);
    assert.equal(e.code, 'route_disabled');
    assert.equal(e.kind, 'ProviderUnavailable');
    assert.match(e.message, /RouteDisabled on second; first error: first: ProviderServerError on first \(HTTP 500\)/);
  });

  it('every try refused by the kill switch: 503 route_disabled', () => {
    const e = exhaustedError([failed('first', MODEL_DISABLED), failed('second', ROUTE_DISABLED)]);
    assert.deepEqual([e.status, e.code], [503, 'route_disabled']);
  });

  it('a disabled fallback model after a real failure: the real failure stands (the route is on)', () => {
    const e = exhaustedError([failed('first', 'ProviderServerError'), failed('second', MODEL_DISABLED)]);
    assert.deepEqual([e.status, e.code], [502, 'provider_error']);
  });

  it('the kill switch first, then a real failure: 502 provider_error', () => {
    const e = exhaustedError([failed('first', ROUTE_DISABLED), failed('first', 'ProviderServerError')]);
    assert.deepEqual([e.status, e.code], [502, 'provider_error']);
  });

  it('all timeouts: 504 provider_timeout; only too long: 400 context_length_exceeded', () => {
    const t = exhaustedError([failed('a', 'ProviderTimeout'), failed('b', 'ProviderTimeout')]);
    assert.deepEqual([t.status, t.code], [504, 'provider_timeout']);
    assert.match(t.message, /^All models failed\. First error: a:/);
    const c = exhaustedError([failed('a', 'ContextLengthExceeded'), failed('b', 'ContextLengthExceeded')]);
    assert.deepEqual([c.status, c.code, c.kind], [400, 'context_length_exceeded', 'ProviderRejected']);
    assert.equal(c.message, 'a: ContextLengthExceeded on a');
  });

  it('mixed failures: 502 provider_error naming the first real failure, never a refused prefill', () => {
    const e = exhaustedError([failed('a', 'UnsupportedRequestShape'), failed('a', 'ProviderTimeout'), failed('b', 'ProviderServerError', { status: 503 })]);
    assert.deepEqual([e.status, e.code], [502, 'provider_error']);
    assert.equal(e.message, 'All models failed. First error: a: ProviderTimeout on a');
  });

  it('lost workers only: the gateway\'s 503 gateway_worker_lost, never provider_error', () => {
    assert.deepEqual([exhaustedError([failed('a', WORKER_LOST)]).status, exhaustedError([failed('a', WORKER_LOST)]).code], [503, 'gateway_worker_lost']);
  });
});

describe('what the caller gets when a failure stops the request at once', () => {
  it('a refusal keeps the provider\'s 4xx; content policy and plain rejections have their codes', () => {
    const policy = stoppedError(failed('a', 'ContentPolicyRejected', { status: 403 }), []);
    assert.deepEqual([policy.kind, policy.status, policy.code], ['ProviderRejected', 403, 'content_policy_violation']);
    const plain = stoppedError(failed('a', 'ProviderRejected', { status: 404 }), []);
    assert.deepEqual([plain.status, plain.code], [404, 'provider_rejected_request']);
    const no4xx = stoppedError(failed('a', 'ProviderRejected'), []);
    assert.deepEqual([no4xx.status, no4xx.message], [400, 'a: ProviderRejected on a']);
  });

  it('a broken stream says so with 502 stream_interrupted', () => {
    const e = stoppedError(failed('a', 'StreamInterrupted', { message: 'socket hang up' }), []);
    assert.deepEqual([e.status, e.code, e.message], [502, 'stream_interrupted', 'a: the stream broke mid-answer: socket hang up']);
  });

  it('a caller who hung up is a cancelled request, not the provider\'s refusal', () => {
    const e = stoppedError(failed('a', CALLER_DISCONNECTED), []);
    assert.deepEqual([e.kind, e.status, e.code], ['Conflict', 409, 'request_cancelled']);
  });
});

describe('the workflow\'s next step reads the table', () => {
  const route = { retries: 1, maxRetryWaitMs: 10_000 };
  const half = () => 0.5;
  const step = (type: string, retryable: boolean) => afterFailure({ type, retryable }, 0, route, false, half).kind;
  it('kill switch → next candidate; caller gone or queue timed out → stop; a retryable unknown name → retry', () => {
    assert.equal(step(ROUTE_DISABLED, false), 'fallback');
    assert.equal(step(MODEL_DISABLED, false), 'fallback');
    assert.equal(step(CALLER_DISCONNECTED, false), 'stop');
    assert.equal(step(QUEUE_TIMEOUT, false), 'stop');
    assert.equal(step('ProviderError', true), 'retry');
    // A row that says "no retry" wins over a try that came back retryable.
    assert.equal(step('ProviderTimeout', true), 'fallback');
    assert.equal(step('StreamInterrupted', true), 'stop');
  });
});
