import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigObject, parseDuration, type Config } from '../../src/config';
import {
  FIXED_ANSWER_MODEL, fixedAnswerCompletion, isUnavailability, offerDegraded, planRefusalReason, plannedAwayAttempt,
  routeByName, takeDegraded, unavailableAfter, type PlanContext, type PlanRequest,
} from '../../src/routing';
import type { AttemptRecord } from '../../src/temporal/contract';

const KEY = `sha256:${'a'.repeat(64)}`;
const base = (routes: unknown[]) => ({
  providers: { p1: { kind: 'openai', baseUrl: 'http://x/v1' } },
  models: {
    big: { provider: 'p1', upstream: 'up-big' },
    cheap: { provider: 'p1', upstream: 'up-cheap' },
    shy: { provider: 'p1', upstream: 'up-shy', dataClasses: ['public'] },
    off: { provider: 'p1', upstream: 'up-off', approved: false },
  },
  callers: { bot: { team: 't', tasks: ['chat'], keyHash: KEY } },
  routes,
});
const config: Config = parseConfigObject(
  base([
    { name: 'chat', match: { task: 'chat' }, primary: 'big', degraded: { model: 'cheap', maxTokens: 64, answer: 'A person will follow up.' } },
  ]),
);

const req = (over: Partial<PlanRequest> = {}): PlanRequest => ({
  requestId: 'r1', caller: 'bot', task: 'chat', requestedModel: 'auto', risk: 'low', dataClass: 'internal',
  latency: 'realtime', forcePrivate: false, promptTokens: 10, maxOutputTokens: 1000, downgrade: false, ...over,
});
const ctx = (over: Partial<PlanContext> = {}): PlanContext => ({
  table: config, isAvailable: () => true, estimateCostUsd: (_m, p, o) => (p + o) / 1e6, parseDuration, ...over,
});
const failed = (model: string, error: string): AttemptRecord => ({ model, outcome: 'failed', error });

describe('takeDegraded: the one decision', () => {
  const offer = { when: ['unavailable', 'over_budget'] as const, callerOptIn: false };
  it('is taken for a reason the route lists, unless the caller says deny', () => {
    assert.equal(takeDegraded({ ...offer, when: [...offer.when] }, undefined, 'unavailable'), true);
    assert.equal(takeDegraded({ ...offer, when: [...offer.when] }, 'allow', 'over_budget'), true);
    assert.equal(takeDegraded({ ...offer, when: [...offer.when] }, 'deny', 'unavailable'), false);
  });
  it('is never taken without a route offer, without a reason, or for a reason the route does not list', () => {
    assert.equal(takeDegraded(undefined, 'allow', 'unavailable'), false);
    assert.equal(takeDegraded({ when: ['unavailable'], callerOptIn: false }, undefined, undefined), false);
    assert.equal(takeDegraded({ when: ['unavailable'], callerOptIn: false }, 'allow', 'over_budget'), false);
  });
  it('on an opt-in route, only when the caller said allow', () => {
    const optIn = { when: ['unavailable' as const], callerOptIn: true };
    assert.equal(takeDegraded(optIn, undefined, 'unavailable'), false);
    assert.equal(takeDegraded(optIn, 'allow', 'unavailable'), true);
    assert.equal(takeDegraded(optIn, 'deny', 'unavailable'), false);
  });
});

describe('why the normal plan was left', () => {
  it('unavailable: every model tried ended on an outage, rate limit, timeout, lost worker or kill switch', () => {
    assert.equal(unavailableAfter([failed('a', 'ProviderServerError'), failed('a', 'ProviderServerError'), failed('b', 'ProviderTimeout')]), true);
    assert.equal(unavailableAfter([failed('a', 'ModelDisabled'), failed('b', 'WorkerLost'), failed('c', 'ProviderRateLimited')]), true);
    // a model that refused the prefill and then had an outage counts by its last try
    assert.equal(unavailableAfter([failed('a', 'UnsupportedRequestShape'), failed('a', 'ProviderServerError')]), true);
  });
  it('not unavailable: a caller mistake, a validation failure, the route switched off, an answer, or nothing tried', () => {
    assert.equal(unavailableAfter([failed('a', 'ProviderServerError'), failed('b', 'ContextLengthExceeded')]), false);
    assert.equal(unavailableAfter([failed('a', 'OutputValidationFailed')]), false);
    assert.equal(unavailableAfter([failed('a', 'ProviderServerError'), { model: 'b', outcome: 'ok' }]), false);
    assert.equal(unavailableAfter([]), false);
    // The operator switched the route off in flight: its degraded plan is off too.
    assert.equal(unavailableAfter([failed('a', 'ProviderServerError'), failed('b', 'RouteDisabled')]), false);
    assert.equal(isUnavailability(undefined), false);
  });
  it("the planner's and the budget's refusals map to their reasons; other refusals to none", () => {
    assert.equal(planRefusalReason('budget_exceeded'), 'over_budget');
    assert.equal(planRefusalReason('no_available_model'), 'unavailable');
    assert.equal(planRefusalReason('route_disabled'), 'unavailable');
    assert.equal(planRefusalReason('no_model_for_data_class'), undefined);
    assert.equal(planRefusalReason('rate_limit_exceeded'), undefined);
  });
  it('a refusal at planning shows as an attempt of the normal model that was not called (try 0)', () => {
    const a = plannedAwayAttempt({ model: 'big', code: 'budget_exceeded', status: 429, message: 'Budget exceeded' });
    assert.deepEqual(a, { model: 'big', outcome: 'failed', error: 'budget_exceeded', status: 429, message: 'Budget exceeded', try: 0 });
  });
});

describe('the fixed answer', () => {
  it('is an ordinary completion: finish stop, no tokens, the gateway as model', () => {
    const c = fixedAnswerCompletion('req-1', 'We cannot answer now.', 1700000000);
    assert.equal(c.model, FIXED_ANSWER_MODEL);
    assert.equal(c.choices[0]?.message.content, 'We cannot answer now.');
    assert.equal(c.choices[0]?.finish_reason, 'stop');
    assert.deepEqual(c.usage, { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
  });
});

describe('offerDegraded: the degraded model is planned like any candidate', () => {
  const route = routeByName('chat', config)!;
  it('with the lower cap (the caller’s own when lower), priced at that cap', () => {
    const offer = offerDegraded(req(), route, ctx(), 'allow');
    assert.equal(offer?.candidate?.model, 'cheap');
    assert.equal(offer?.candidate?.maxOutputTokens, 64);
    assert.equal(offer?.candidate?.estimatedCostUsd, (10 + 64) / 1e6);
    assert.equal(offer?.answer, 'A person will follow up.');
    assert.equal(offer?.choice, 'allow');
    assert.equal(offerDegraded(req({ maxOutputTokens: 20 }), route, ctx())?.candidate?.maxOutputTokens, 20);
  });
  it('the kill switch, a breaker or the data class leaves only the fixed answer', () => {
    for (const c of [ctx({ isDisabled: (m) => (m === 'cheap' ? 'incident' : undefined) }), ctx({ isAvailable: (m) => m !== 'cheap' })]) {
      const offer = offerDegraded(req(), route, c);
      assert.equal(offer?.candidate, undefined);
      assert.match(offer?.skipped ?? '', /^cheap: /);
      assert.equal(offer?.answer, 'A person will follow up.');
    }
    assert.equal(offerDegraded(req({ dataClass: 'confidential' }), route, ctx())?.candidate, undefined);
  });
  it('no offer on a route without `degraded`, nor for embeddings', () => {
    const plain = parseConfigObject(base([{ name: 'chat', match: { task: 'chat' }, primary: 'big' }]));
    assert.equal(offerDegraded(req(), routeByName('chat', plain)!, { ...ctx(), table: plain }), undefined);
    assert.equal(offerDegraded(req({ operation: 'embeddings' }), route, ctx()), undefined);
  });
});

describe('config: route option `degraded`', () => {
  const route = (degraded: unknown) => base([{ name: 'chat', match: { task: 'chat' }, primary: 'big', degraded }]);
  it('defaults: both reasons, taken unless the caller denies', () => {
    const r = parseConfigObject(route({ answer: 'Later.' })).routes[0]!;
    assert.deepEqual(r.degraded, { answer: 'Later.', when: ['unavailable', 'over_budget'], callerOptIn: false });
  });
  it('refuses an empty plan, a cap without a model, an unknown model and unknown fields', () => {
    assert.throws(() => parseConfigObject(route({})), /needs a model or an answer/);
    assert.throws(() => parseConfigObject(route({ maxTokens: 10, answer: 'x' })), /maxTokens caps the degraded model/);
    assert.throws(() => parseConfigObject(route({ model: 'nope' })), /unknown model "nope"/);
    assert.throws(() => parseConfigObject(route({ model: 'cheap', modle: 'x' })), /modle/);
    assert.throws(() => parseConfigObject(route({ model: 'cheap', when: ['sometimes'] })), /when/);
  });
  it('a route without it parses as before', () => {
    assert.equal(parseConfigObject(base([{ name: 'chat', match: { task: 'chat' }, primary: 'big' }])).routes[0]!.degraded, undefined);
  });
});
