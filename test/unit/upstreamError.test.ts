import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toAttemptFailure } from '../../activities/callProvider';
import { ApplicationFailure } from '@temporalio/common';
import { FALLBACK_ON, UpstreamError, classifyUpstreamError, parseRetryAfter } from '../../src/providers/upstreamError';

const MAX_WAIT = 10_000;
type Row = [string, UpstreamError, { type: string; retryable: boolean; delay?: number; fallback: boolean }];

const rows: Row[] = [
  ['500', new UpstreamError('http', 'boom', 500), { type: 'ProviderServerError', retryable: true, fallback: true }],
  ['503 with Retry-After', new UpstreamError('http', 'busy', 503, undefined, 2000), { type: 'ProviderServerError', retryable: true, delay: 2000, fallback: true }],
  ['408', new UpstreamError('http', 'slow', 408), { type: 'ProviderServerError', retryable: true, fallback: true }],
  ['429 with Retry-After', new UpstreamError('http', 'slow down', 429, undefined, 1500), { type: 'ProviderRateLimited', retryable: true, delay: 1500, fallback: true }],
  ['429 without Retry-After', new UpstreamError('http', 'slow down', 429), { type: 'ProviderRateLimited', retryable: true, fallback: true }],
  ['429 waiting too long', new UpstreamError('http', 'later', 429, undefined, 60_000), { type: 'ProviderRateLimited', retryable: false, fallback: true }],
  ['timeout', new UpstreamError('timeout', 'silent'), { type: 'ProviderTimeout', retryable: false, fallback: true }],
  ['connection reset', new UpstreamError('connection', 'ECONNRESET'), { type: 'ProviderConnectionError', retryable: true, fallback: true }],
  ['malformed body', new UpstreamError('malformed', 'not json'), { type: 'ProviderMalformedResponse', retryable: true, fallback: true }],
  ['401 from provider', new UpstreamError('http', 'bad key', 401), { type: 'ProviderAuthError', retryable: false, fallback: true }],
  ['400 context length', new UpstreamError('http', 'too long', 400, 'context_length_exceeded'), { type: 'ContextLengthExceeded', retryable: false, fallback: true }],
  ['400 content policy', new UpstreamError('http', 'no', 400, 'content_policy_violation'), { type: 'ContentPolicyRejected', retryable: false, fallback: false }],
  ['400 plain', new UpstreamError('http', 'bad param', 400), { type: 'ProviderRejected', retryable: false, fallback: false }],
  ['404 unknown model', new UpstreamError('http', 'no model', 404), { type: 'ProviderRejected', retryable: false, fallback: false }],
  ['422', new UpstreamError('http', 'bad', 422), { type: 'ProviderRejected', retryable: false, fallback: false }],
  ['400 unsupported prefill', new UpstreamError('http', 'no prefill', 400, 'unsupported_prefill'), { type: 'UnsupportedRequestShape', retryable: false, fallback: true }],
  ['headers deadline', new UpstreamError('timeout', 'no headers', undefined, 'deadline_headers'), { type: 'ProviderTimeout', retryable: false, fallback: true }],
  ['first-token deadline', new UpstreamError('timeout', 'no token', undefined, 'deadline_firstToken'), { type: 'ProviderTimeout', retryable: false, fallback: true }],
  ['idle deadline (stream stalled)', new UpstreamError('timeout', 'silent', undefined, 'deadline_idle'), { type: 'ProviderTimeout', retryable: false, fallback: true }],
  ['stream cut before the caller saw anything', new UpstreamError('connection', 'stream cut'), { type: 'ProviderConnectionError', retryable: true, fallback: true }],
  ['malformed stream chunk', new UpstreamError('malformed', 'bad chunk'), { type: 'ProviderMalformedResponse', retryable: true, fallback: true }],
];

/** Once part of a stream reached the caller, every failure is StreamInterrupted: no retry, no fallback. */
const deliveredRows: Array<[string, UpstreamError]> = [
  ['stream cut', new UpstreamError('connection', 'stream cut after 3 chunks')],
  ['stream stalled', new UpstreamError('timeout', 'stream went silent', undefined, 'deadline_idle')],
  ['malformed chunk', new UpstreamError('malformed', 'bad chunk')],
  ['error event mid-stream', new UpstreamError('http', 'overloaded', 500)],
];

describe('upstream error classification', () => {
  for (const [name, err, want] of rows) {
    it(`${name} → ${want.type}, ${want.retryable ? 'retry' : 'no retry'}, ${want.fallback ? 'may fall back' : 'back to caller'}`, () => {
      const c = classifyUpstreamError(err, MAX_WAIT);
      assert.equal(c.type, want.type);
      assert.equal(c.retryable, want.retryable);
      assert.equal(c.nextRetryDelayMs, want.delay);
      assert.equal(FALLBACK_ON.has(c.type), want.fallback);
      const failure = toAttemptFailure(err, MAX_WAIT);
      assert.ok(failure instanceof ApplicationFailure);
      assert.equal(failure.type, want.type);
      assert.equal(failure.nonRetryable, !want.retryable);
      assert.deepEqual(failure.details?.[0], { status: err.status, providerCode: err.providerCode, retryAfterMs: err.retryAfterMs });
    });
  }

  for (const [name, err] of deliveredRows) {
    it(`${name} after chunks reached the caller → StreamInterrupted, no retry, back to caller`, () => {
      const c = classifyUpstreamError(err, MAX_WAIT, true);
      assert.deepEqual(c, { type: 'StreamInterrupted', retryable: false });
      assert.equal(FALLBACK_ON.has(c.type), false);
      const delivered = { text: 'Mock answer', chunks: 3, continuable: true, usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 }, usageEstimated: true };
      const failure = toAttemptFailure(err, MAX_WAIT, delivered);
      assert.ok(failure instanceof ApplicationFailure);
      assert.equal(failure.nonRetryable, true);
      assert.deepEqual((failure.details?.[0] as { delivered?: unknown }).delivered, delivered, 'what the caller has travels with the failure (for a continuation)');
    });
  }

  it('passes anything that is not an upstream error through untouched', () => {
    const e = new Error('cancelled');
    assert.equal(toAttemptFailure(e, MAX_WAIT), e);
  });

  it('parses Retry-After as seconds, HTTP date, or retry-after-ms', () => {
    assert.equal(parseRetryAfter('2'), 2000);
    assert.equal(parseRetryAfter('0.5'), 500);
    assert.equal(parseRetryAfter('1', '250'), 250);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:03 GMT', null, now), 3000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });
});
