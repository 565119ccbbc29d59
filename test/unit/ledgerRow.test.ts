import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rowForAnswer } from '../../activities/ledger';
import type { ChatCompletion } from '../../src/config/api';
import type { LedgerRow } from '../../src/temporal/contract';

const row: LedgerRow = {
  requestId: 'req-1', caller: 'support', team: 'support', task: 'chat', route: 'chat', model: 'backup', status: 'completed',
  errorCode: null, usage: null, latencyMs: 0, explanation: 'chat: backup', pricedAs: { providerKind: 'openai', upstream: 'gpt-4o-mini' },
  attempts: [
    { model: 'small', outcome: 'failed', try: 1, error: 'ProviderServerError', status: 500 },
    { model: 'backup', outcome: 'ok', try: 1, latencyMs: 0 },
  ],
};
const completion = {
  id: 'c1', object: 'chat.completion', created: 1, model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
} as ChatCompletion;

describe('the ledger row a provider call writes when its answer ends the request', () => {
  it("takes the answer's usage, this try's latency (last attempt only) and the request's latency", () => {
    const out = rowForAnswer({ row, workflowStartMs: 1_000 }, completion, 42, 1_250);
    assert.deepEqual(out.usage, completion.usage);
    assert.equal(out.latencyMs, 250);
    assert.deepEqual(out.attempts[0], row.attempts[0], 'earlier tries unchanged');
    assert.equal(out.attempts[1]!.latencyMs, 42);
    assert.equal(row.attempts[1]!.latencyMs, 0, 'the input row is not mutated');
  });

  it('never reports a negative latency (clocks of workflow and activity differ)', () => {
    assert.equal(rowForAnswer({ row, workflowStartMs: 2_000 }, completion, 1, 1_990).latencyMs, 0);
  });
});
