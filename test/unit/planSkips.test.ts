import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigObject, parseDuration, type Config } from '../../src/config';
import { planRoute, reasonText, skipText, type PlanContext, type PlanRequest, type SkipReason } from '../../src/routing';
import { refusal } from '../helpers/assertions';

/** `private-draft`: a name that contains a word the old text-parsing looked for (`private`). */
const config: Config = parseConfigObject({
  providers: { p: { kind: 'openai', baseUrl: 'http://x/v1' } },
  models: {
    'private-draft': { provider: 'p', upstream: 'u1', approved: false },
    old: { provider: 'p', upstream: 'u2', status: 'retired' },
    off: { provider: 'p', upstream: 'u4' },
  },
  callers: { bot: { team: 't', tasks: ['a', 'c'], keyHash: `sha256:${'a'.repeat(64)}` } },
  routes: [
    { name: 'a', match: { task: 'a' }, primary: 'private-draft', fallbacks: ['old'] },
    { name: 'c', match: { task: 'c' }, primary: 'off', fallbacks: ['private-draft'] },
  ],
});

const ctx: PlanContext = { table: config, isAvailable: () => true, estimateCostUsd: () => undefined, parseDuration, isDisabled: (m) => (m === 'off' ? 'incident' : undefined) };
const req = (task: string, over: Partial<PlanRequest> = {}): PlanRequest => ({
  requestId: 'r', caller: 'bot', task, requestedModel: 'auto', risk: 'low', dataClass: 'internal', latency: 'realtime',
  forcePrivate: false, promptTokens: 10, maxOutputTokens: 10, downgrade: false, ...over,
});
const route = (name: string) => config.routes.find((r) => r.name === name)!;

describe('the planner decides from typed skip reasons, not from their wording', () => {
  it('a not-approved model named "private-draft" and a retired one are a catalogue refusal (403 no_approved_model), not a data-class one', () => {
    assert.equal(refusal(() => planRoute(req('a'), route('a'), ctx)), '403 no_approved_model');
  });

  it('the kill switch with only unapproved models left: 503 route_disabled', () => {
    assert.equal(refusal(() => planRoute(req('c'), route('c'), ctx)), '503 route_disabled');
  });

  it('each reason renders as the explanation always said it', () => {
    const want: Array<[SkipReason, string | undefined, string]> = [
      ['not_embedding', undefined, 'not an embedding model'],
      ['not_chat', undefined, 'an embedding model (not for chat)'],
      ['not_approved', undefined, 'not approved'],
      ['retired', '2026-01-01', 'retired (since 2026-01-01)'],
      ['retired', undefined, 'retired'],
      ['disabled', undefined, 'disabled (kill switch)'],
      ['data_class', 'restricted', 'may not see restricted data'],
      ['not_private', undefined, 'not a private model'],
      ['caller_not_allowed', undefined, 'not allowed for this caller'],
      ['batch_only', undefined, 'batch only'],
      ['context_too_small', '200 > 100 tokens', 'context too small (200 > 100 tokens)'],
      ['over_cost_limit', '$0.0500 > $0.01', 'over cost limit ($0.0500 > $0.01)'],
      ['circuit_open', undefined, 'circuit open'],
    ];
    for (const [reason, detail, text] of want) assert.equal(reasonText(reason, detail), text);
    assert.equal(skipText({ model: 'm', reason: 'circuit_open' }), 'm: circuit open');
  });
});
