import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRoutable, modelStatus, deprecationWarning } from '../../src/catalog/status';
import { catalog } from '../../src/catalog/view';
import { ConfigError, parseConfigObject, parseDuration, type Config } from '../../src/config';
import { planRoute, selectRoute, type PlanContext, type PlanRequest } from '../../src/routing';
import { refusal } from '../helpers/assertions';

const KEY = `sha256:${'a'.repeat(64)}`;
const NOW = Date.parse('2026-03-01T12:00:00Z');

const config: Config = parseConfigObject({
  providers: { p: { kind: 'openai', baseUrl: 'http://x/v1' } },
  models: {
    current: { provider: 'p', upstream: 'up-1', status: 'approved', owner: 'ml-platform', purpose: 'general chat', limitations: ['English only'] },
    legacy: { provider: 'p', upstream: 'up-0', status: 'deprecated', retirementDate: '2026-06-30' },
    gone: { provider: 'p', upstream: 'up-old', status: 'approved', retirementDate: '2026-01-31' },
    idea: { provider: 'p', upstream: 'up-new', status: 'proposed' },
    legacyBool: { provider: 'p', upstream: 'up-b', approved: false },
    dead: { provider: 'p', upstream: 'up-d', status: 'retired' },
  },
  callers: { bot: { team: 't', tasks: ['chat', 'old', 'none'], keyHash: KEY } },
  routes: [
    { name: 'chat', match: { task: 'chat' }, primary: 'gone', fallbacks: ['idea', 'legacy', 'current'] },
    { name: 'old', match: { task: 'old' }, primary: 'legacy' },
    { name: 'none', match: { task: 'none' }, primary: 'idea', fallbacks: ['dead', 'legacyBool'] },
  ],
});

function ctx(over: Partial<PlanContext> = {}): PlanContext {
  return { table: config, isAvailable: () => true, estimateCostUsd: () => undefined, parseDuration, now: NOW, ...over };
}

function req(task: string): PlanRequest {
  return { requestId: 'r1', caller: 'bot', task, requestedModel: 'auto', risk: 'low', dataClass: 'internal', latency: 'realtime', forcePrivate: false, promptTokens: 10, maxOutputTokens: 10, downgrade: false };
}

const plan = (task: string, over: Partial<PlanContext> = {}) => planRoute(req(task), selectRoute(req(task), config), ctx(over));

describe('model catalogue: status', () => {
  it('status wins; the boolean approved is its alias (false = proposed); a passed retirement date retires', () => {
    const m = config.models;
    assert.equal(modelStatus(m.current!, NOW), 'approved');
    assert.equal(modelStatus(m.legacy!, NOW), 'deprecated');
    assert.equal(modelStatus(m.gone!, NOW), 'retired');
    assert.equal(modelStatus(m.gone!), 'approved', 'without a clock the date is not consulted');
    assert.equal(modelStatus(m.idea!, NOW), 'proposed');
    assert.equal(modelStatus(m.legacyBool!, NOW), 'proposed');
    assert.equal(modelStatus({ approved: true }, NOW), 'approved');
    assert.equal(modelStatus(m.legacy!, Date.parse('2026-06-30T00:00:00Z')), 'retired', 'retired from 00:00 UTC on the date');
  });

  it('only approved and deprecated models are routable', () => {
    assert.deepEqual(
      Object.entries(config.models).filter(([, m]) => isRoutable(m, NOW)).map(([n]) => n),
      ['current', 'legacy'],
    );
    assert.equal(deprecationWarning('legacy', config.models.legacy!, NOW), 'model "legacy" is deprecated; it retires on 2026-06-30');
    assert.equal(deprecationWarning('current', config.models.current!, NOW), undefined);
  });

  it('the schema refuses an unknown status and a malformed retirement date, by path', () => {
    const bad = { ...config, routes: config.routes, models: { ...config.models, x: { provider: 'p', upstream: 'u', status: 'beta', retirementDate: '30/06/2026' } } };
    try {
      parseConfigObject(bad);
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.ok(err.problems.some((p) => p.startsWith('models.x.status:')), err.message);
      assert.ok(err.problems.some((p) => p.startsWith('models.x.retirementDate:')), err.message);
    }
  });

  it('the catalogue view: effective status, kill switch, routes using each model', () => {
    const entries = catalog(config, new Map([['current', 'incident 42']]), NOW);
    const current = entries.find((e) => e.name === 'current')!;
    assert.equal(current.routable, false, 'disabled by the kill switch');
    assert.equal(current.disabled, 'incident 42');
    assert.equal(current.owner, 'ml-platform');
    assert.deepEqual(current.limitations, ['English only']);
    assert.deepEqual(current.usedBy, [{ route: 'chat', as: 'fallback' }]);
    assert.equal(entries.find((e) => e.name === 'gone')!.status, 'retired');
  });
});

describe('model catalogue in the planner', () => {
  it('skips retired and proposed models, keeps deprecated ones with a warning, and says why', () => {
    const p = plan('chat');
    assert.deepEqual(p.candidates.map((c) => c.model), ['legacy', 'current']);
    assert.equal(p.candidates[0]!.deprecated, 'model "legacy" is deprecated; it retires on 2026-06-30');
    assert.equal(p.candidates[1]!.deprecated, undefined);
    assert.match(p.explanation, /gone: retired \(since 2026-01-31\)/);
    assert.match(p.explanation, /idea: not approved/);
  });

  it('a route with only proposed or retired models is 403 no_approved_model', () => {
    assert.equal(refusal(() => plan('none')), '403 no_approved_model');
  });

  it('the kill switch skips a model; with nothing else left the request is 503 route_disabled', () => {
    const p = plan('chat', { isDisabled: (m) => (m === 'legacy' ? 'incident' : undefined) });
    assert.deepEqual(p.candidates.map((c) => c.model), ['current']);
    assert.match(p.explanation, /legacy: disabled \(kill switch\)/);
    assert.equal(refusal(() => plan('old', { isDisabled: () => 'incident' })), '503 route_disabled');
  });

  it('selectRoute passes over a disabled route; none left is 503 route_disabled', () => {
    const two = { ...config, routes: [{ ...config.routes[0]!, name: 'chat-a' }, { ...config.routes[0]!, name: 'chat-b' }] };
    assert.equal(selectRoute(req('chat'), two, (r) => (r === 'chat-a' ? 'down' : undefined)).name, 'chat-b');
    assert.equal(refusal(() => selectRoute(req('chat'), two, () => 'down')), '503 route_disabled');
  });
});
