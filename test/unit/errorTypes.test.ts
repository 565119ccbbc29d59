import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError, invalidRequest } from '../../src/errors';
import { anthropicErrorBody } from '../../src/formats/anthropic/errors';
import { tooManyRequests } from '../../src/limits/errors';

/** What a caller's SDK sees in `error.type`: OpenAI's own words for a 429, Anthropic's on /v1/messages. */
describe('error types on the wire', () => {
  const requests = tooManyRequests('rate_limit_exceeded', 'Rate limit exceeded', { kind: 'requests' });
  const tokens = tooManyRequests('rate_limit_exceeded', 'Rate limit exceeded', { kind: 'tokens' });
  const loop = tooManyRequests('loop_detected', 'Loop detected', { caller: 'bot' });
  const budget = tooManyRequests('budget_exceeded', 'Budget exceeded', { budget: 'caller bot daily $0.002' });

  it('a 429 carries the type OpenAI sends for it, never invalid_request_error', () => {
    assert.equal(requests.toBody().error.type, 'requests');
    assert.equal(tokens.toBody().error.type, 'tokens');
    assert.equal(loop.toBody().error.type, 'requests');
    assert.equal(budget.toBody().error.type, 'insufficient_quota');
    for (const e of [requests, tokens, loop, budget]) assert.equal(e.status, 429);
  });

  it('the Anthropic front door says rate_limit_error for every 429', () => {
    for (const e of [requests, tokens, loop, budget]) assert.equal(anthropicErrorBody(e).error.type, 'rate_limit_error');
  });

  it('other statuses keep their kind\'s type', () => {
    assert.equal(invalidRequest('bad', 'bad').toBody().error.type, 'invalid_request_error');
    assert.equal(new GatewayError('Unavailable', 'gateway_worker_lost', 'lost', { status: 503 }).toBody().error.type, 'api_error');
  });
});
