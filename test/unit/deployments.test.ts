import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeploymentLoadTracker } from '../../src/balance/deploymentLoad';
import { parseConfigObject, parseDuration, type Config } from '../../src/config';
import { planRoute, selectRoute, type DeploymentLoad, type PlanContext, type PlanRequest } from '../../src/routing';

const KEY = `sha256:${'a'.repeat(64)}`;
const config = (strategy = 'weighted'): Config =>
  parseConfigObject({
    providers: { east: { kind: 'openai', baseUrl: 'http://east/v1' }, west: { kind: 'openai', baseUrl: 'http://west/v1' }, oai: { kind: 'openai', baseUrl: 'http://oai/v1' } },
    models: {
      gpt: {
        strategy,
        deployments: [
          { name: 'east', provider: 'east', upstream: 'gpt-east', weight: 3 },
          { name: 'west', provider: 'west', upstream: 'gpt-west', weight: 1, rpm: 10, tpm: 1000 },
          { name: 'public', provider: 'oai', upstream: 'gpt-4o', weight: 1, dataClasses: ['public'] },
        ],
        dataClasses: ['public', 'internal', 'confidential'],
      },
      other: { provider: 'oai', upstream: 'other' },
    },
    callers: { bot: { team: 't', tasks: ['chat'], keyHash: KEY } },
    routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'gpt', fallbacks: ['other'] }],
  });

const req = (over: Partial<PlanRequest> = {}): PlanRequest => ({
  requestId: 'r1', caller: 'bot', task: 'chat', requestedModel: 'auto', risk: 'low', dataClass: 'internal',
  latency: 'realtime', forcePrivate: false, promptTokens: 10, maxOutputTokens: 10, downgrade: false, ...over,
});
function plan(cfg: Config, over: Partial<PlanRequest> = {}, ctxOver: Partial<PlanContext> = {}) {
  const r = req(over);
  const ctx: PlanContext = { table: cfg, isAvailable: () => true, estimateCostUsd: () => 0.001, parseDuration, ...ctxOver };
  return planRoute(r, selectRoute(r, cfg), ctx);
}
const order = (p: ReturnType<typeof plan>) => p.candidates.map((c) => (c.deployment ? `${c.model}@${c.deployment}` : c.model));

describe('deployments: one model, several places it runs', () => {
  it('a model with deployments needs no provider/upstream of its own; each deployment is a candidate with its own provider and upstream', () => {
    const cfg = config();
    assert.equal(cfg.models.gpt!.provider, 'east');
    const p = plan(cfg, { requestId: 'x' });
    const east = p.candidates.find((c) => c.deployment === 'east')!;
    assert.deepEqual([east.provider, east.upstream], ['east', 'gpt-east']);
  });

  it('weighted: over 1,000 planned requests each deployment goes first in proportion to its weight (±5 points)', () => {
    const cfg = config();
    const first: Record<string, number> = {};
    for (let i = 0; i < 1000; i++) {
      const d = plan(cfg, { requestId: `req-${i}`, dataClass: 'public' }).candidates[0]!.deployment!;
      first[d] = (first[d] ?? 0) + 1;
    }
    // Weights 3:1:1 → 60% / 20% / 20%.
    assert.ok(Math.abs(first.east! / 1000 - 0.6) < 0.05, JSON.stringify(first));
    assert.ok(Math.abs(first.west! / 1000 - 0.2) < 0.05, JSON.stringify(first));
    assert.ok(Math.abs(first.public! / 1000 - 0.2) < 0.05, JSON.stringify(first));
  });

  it('failover runs through the model\'s other deployments before the route\'s next model; the same request plans the same way', () => {
    const cfg = config();
    const p = plan(cfg, { requestId: 'stable-id' });
    assert.deepEqual(order(p).slice(-1), ['other']);
    assert.equal(order(p).filter((m) => m.startsWith('gpt@')).length, 2);
    assert.deepEqual(order(plan(cfg, { requestId: 'stable-id' })), order(p));
    assert.match(p.explanation, /→ route chat: gpt@\w+; fallback gpt@\w+, other/);
  });

  it('a deployment not cleared for the data class is never chosen for it (the model\'s own classes still apply)', () => {
    const cfg = config();
    for (let i = 0; i < 50; i++) assert.ok(!order(plan(cfg, { requestId: `r${i}` })).includes('gpt@public'));
    assert.match(plan(cfg).explanation, /skipped gpt@public: may not see internal data/);
    assert.throws(() => plan(cfg, { dataClass: 'restricted' }), (e: { code?: string }) => e.code === 'no_model_for_data_class');
  });

  it('each deployment has its own breaker: an open one is skipped while the others serve', () => {
    const p = plan(config(), {}, { isAvailable: (k) => k !== 'gpt@east' });
    assert.deepEqual(order(p), ['gpt@west', 'other']);
    assert.match(p.explanation, /gpt@east: circuit open/);
  });

  it('capacity: a deployment at its rpm, or whose tpm this request would pass, is passed over', () => {
    const loads: Record<string, DeploymentLoad> = { 'gpt@west': { inFlight: 0, rpm: 10, tpm: 0 } };
    assert.match(plan(config(), {}, { load: (k) => loads[k] }).explanation, /gpt@west: at capacity \(10\/10 rpm\)/);
    loads['gpt@west'] = { inFlight: 0, rpm: 1, tpm: 990 };
    assert.match(plan(config(), {}, { load: (k) => loads[k] }).explanation, /gpt@west: at capacity \(990\+20\/1000 tpm\)/);
  });

  it('least-busy: the deployment with the fewest calls in flight first', () => {
    const loads: Record<string, DeploymentLoad> = { 'gpt@east': { inFlight: 5, rpm: 0, tpm: 0 }, 'gpt@west': { inFlight: 1, rpm: 0, tpm: 0 } };
    assert.deepEqual(order(plan(config('least-busy'), {}, { load: (k) => loads[k] })), ['gpt@west', 'gpt@east', 'other']);
  });

  it('lowest-latency: the fastest moving average first; an unmeasured deployment is tried (and so measured)', () => {
    const loads: Record<string, DeploymentLoad> = { 'gpt@east': { inFlight: 0, rpm: 0, tpm: 0, latencyMs: 900 }, 'gpt@west': { inFlight: 0, rpm: 0, tpm: 0, latencyMs: 200 } };
    assert.deepEqual(order(plan(config('lowest-latency'), {}, { load: (k) => loads[k] })), ['gpt@west', 'gpt@east', 'other']);
    delete loads['gpt@west']!.latencyMs;
    loads['gpt@west']!.latencyMs = undefined;
    assert.equal(order(plan(config('lowest-latency'), {}, { load: (k) => loads[k] }))[0], 'gpt@west');
  });

  it('a config naming an unknown provider or the same deployment twice is refused', () => {
    const bad = (deployments: unknown) => () =>
      parseConfigObject({
        providers: { p: { kind: 'openai', baseUrl: 'http://p/v1' } },
        models: { m: { deployments } },
        callers: { bot: { team: 't', tasks: ['chat'], keyHash: KEY } },
        routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'm' }],
      });
    assert.throws(bad([{ name: 'a', provider: 'nope', upstream: 'x' }]), /unknown provider "nope"/);
    assert.throws(bad([{ name: 'a', provider: 'p', upstream: 'x' }, { name: 'a', provider: 'p', upstream: 'y' }]), /used twice/);
  });
});

describe('DeploymentLoadTracker', () => {
  it('counts calls in flight, a moving average of answered latency, and the last minute\'s requests and tokens', () => {
    const t = new DeploymentLoadTracker();
    t.started('m@a', 'c1', 1_000);
    t.started('m@a', 'c2', 1_000);
    assert.deepEqual(t.load('m@a', 1_000), { inFlight: 2, latencyMs: undefined, rpm: 2, tpm: 0 });
    t.finished('m@a', 'c1', { latencyMs: 100, tokens: 50 }, 2_000);
    t.finished('m@a', 'c2', undefined, 2_000); // a failure: no latency, no tokens
    assert.deepEqual(t.load('m@a', 2_000), { inFlight: 0, latencyMs: 100, rpm: 2, tpm: 50 });
    t.started('m@a', 'c3', 30_000);
    t.finished('m@a', 'c3', { latencyMs: 600, tokens: 10 }, 30_000);
    assert.equal(t.load('m@a', 30_000).latencyMs, 200); // 100 + 0.2 × (600 − 100)
    // A minute after the first two calls only the third counts.
    assert.deepEqual(t.load('m@a', 62_500), { inFlight: 0, latencyMs: 200, rpm: 1, tpm: 10 });
  });
});
