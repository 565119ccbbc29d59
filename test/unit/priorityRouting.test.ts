import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigObject, parseDuration, type Config } from '../../src/config';
import { planRoute, selectRoute, type PlanContext, type PlanRequest } from '../../src/routing';

const KEY = (c: string) => `sha256:${c.repeat(64)}`;
const config: Config = parseConfigObject({
  providers: { p: { kind: 'openai', baseUrl: 'http://x/v1' } },
  models: {
    careful: { provider: 'p', upstream: 'up-careful' },
    mid: { provider: 'p', upstream: 'up-mid' },
    cheap: { provider: 'p', upstream: 'up-cheap' },
    unpriced: { provider: 'p', upstream: 'up-unpriced' },
    secret: { provider: 'p', upstream: 'up-secret', dataClasses: ['public'] },
    cand: { provider: 'p', upstream: 'up-cand' },
  },
  callers: {
    bulk: { team: 't', tasks: ['write', 'code'], keyHash: KEY('a') },
  },
  routes: [
    {
      name: 'write', match: { task: 'write' }, primary: 'mid', fallbacks: ['unpriced', 'cheap'], maxCostUsd: 0.02,
      priorities: {
        low: { prefer: 'cheapest', maxCostUsd: 0.005 },
        high: { models: ['careful', 'secret'], maxCostUsd: 0.5 },
      },
    },
    { name: 'code', match: { task: 'code' }, primary: 'mid', fallbacks: ['cheap'], canary: { model: 'cand', share: 1 }, priorities: { low: { prefer: 'cheapest' } } },
  ],
});

const COST: Record<string, number> = { careful: 0.2, mid: 0.01, cheap: 0.001, cand: 0.05, secret: 0.3 };
const ctx: PlanContext = { table: config, isAvailable: () => true, estimateCostUsd: (m) => COST[m], parseDuration };
const req = (over: Partial<PlanRequest> = {}): PlanRequest => ({
  requestId: 'r1', caller: 'bulk', task: 'write', requestedModel: 'auto', risk: 'low', dataClass: 'internal',
  latency: 'realtime', forcePrivate: false, promptTokens: 10, maxOutputTokens: 10, downgrade: false, ...over,
});
const plan = (over: Partial<PlanRequest> = {}) => {
  const r = req(over);
  return planRoute(r, selectRoute(r, config), ctx);
};
const models = (over: Partial<PlanRequest> = {}) => plan(over).candidates.map((c) => c.model);

describe('value-aware cost routing: the declared priority weighs cost on the route', () => {
  it('normal (or none) keeps the route as configured: its order and its ceiling', () => {
    assert.deepEqual(models(), ['mid', 'unpriced', 'cheap']);
    assert.deepEqual(models({ priority: 'normal' }), ['mid', 'unpriced', 'cheap']);
    assert.doesNotMatch(plan({ priority: 'normal' }).explanation, /priority/);
  });

  it('low takes the cheapest approved model first, under its own lower ceiling; unpriced models keep their order, last', () => {
    const p = plan({ priority: 'low' });
    // mid ($0.01) passes the route's $0.02 ceiling but not low's $0.005.
    assert.deepEqual(p.candidates.map((c) => c.model), ['cheap', 'unpriced']);
    assert.match(p.explanation, /priority=low .*\[priority low: cheapest first, ceiling \$0\.005\]/);
    assert.match(p.explanation, /mid: over the cost limit|mid.*\$0\.0100 > \$0\.005/);
  });

  it('high tries the careful model first, above the route ceiling, and it still passes every other check', () => {
    const p = plan({ priority: 'high' });
    assert.deepEqual(p.candidates.map((c) => c.model), ['careful', 'mid', 'unpriced', 'cheap']);
    assert.match(p.explanation, /\[priority high: careful, secret first, ceiling \$0\.5\]/);
    // `secret` is not approved for internal data: a priority never opens a model the data may not reach.
    assert.match(p.explanation, /skipped secret/);
    assert.ok(!models({ priority: 'high', dataClass: 'internal' }).includes('secret'));
    assert.deepEqual(models({ priority: 'high', dataClass: 'public' }).slice(0, 2), ['careful', 'secret']);
  });

  it('without priority the high-only model never appears, and the route ceiling still holds', () => {
    assert.ok(!models().includes('careful'));
  });

  it('a canary placed first keeps its place; the rest go cheapest first', () => {
    const p = planRoute(req({ task: 'code', priority: 'low' }), selectRoute(req({ task: 'code' }), config), ctx);
    assert.deepEqual(p.candidates.map((c) => c.model), ['cand', 'cheap', 'mid']);
    assert.equal(p.stage, 'canary');
  });

  it('a model the caller names still goes first, whatever the priority', () => {
    assert.equal(models({ priority: 'low', requestedModel: 'unpriced' })[0], 'unpriced');
  });
});

describe('priority config', () => {
  it('a priority rule naming an unknown model is a config error', () => {
    assert.throws(() => parseConfigObject({
      providers: { p: { kind: 'openai', baseUrl: 'http://x/v1' } },
      models: { a: { provider: 'p', upstream: 'a' } },
      callers: { c: { team: 't', tasks: ['t'], keyHash: KEY('a') } },
      routes: [{ name: 't', match: { task: 't' }, primary: 'a', priorities: { high: { models: ['nope'] } } }],
    }), /priorities.*unknown model "nope"/s);
  });

  it('a caller may declare low and normal by default; its default priority must be one it may declare', () => {
    const c = config.callers.bulk!;
    assert.deepEqual(c.priorities, ['low', 'normal']);
    assert.equal(c.defaultPriority, 'normal');
    assert.throws(() => parseConfigObject({
      providers: { p: { kind: 'openai', baseUrl: 'http://x/v1' } },
      models: { a: { provider: 'p', upstream: 'a' } },
      callers: { c: { team: 't', tasks: ['t'], keyHash: KEY('a'), defaultPriority: 'high' } },
      routes: [{ name: 't', match: { task: 't' }, primary: 'a' }],
    }), /defaultPriority/);
  });
});
