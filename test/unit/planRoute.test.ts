import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration } from '../../src/config';
import { GatewayError } from '../../src/errors';
import { planRoute, type RouteTable } from '../../src/routing';

const table: RouteTable = {
  models: {
    a: { provider: 'p1', upstream: 'up-a', approved: true },
    b: { provider: 'p2', upstream: 'up-b', approved: true },
    c: { provider: 'p1', upstream: 'up-c', approved: false },
    other: { provider: 'p1', upstream: 'up-o', approved: true },
  },
  routes: [
    { name: 'chat', match: { task: 'chat' }, primary: 'a', fallbacks: ['c', 'b'], timeout: '10s', retries: 1 },
    { name: 'off', match: { task: 'off' }, primary: 'c', fallbacks: [], timeout: '1s', retries: 0 },
  ],
};

const plan = (task: string, requestedModel = 'auto') => planRoute({ task, requestedModel }, table, parseDuration);

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof GatewayError);
    return `${err.status} ${err.code}`;
  }
  assert.fail('expected a GatewayError');
}

describe('planRoute', () => {
  it('orders primary then approved fallbacks, skipping unapproved models and saying so', () => {
    const p = plan('chat');
    assert.deepEqual(p.candidates.map((c) => c.model), ['a', 'b']);
    assert.deepEqual(p.candidates[1], { model: 'b', provider: 'p2', upstream: 'up-b' });
    assert.equal(p.route, 'chat');
    assert.equal(p.timeoutMs, 10_000);
    assert.equal(p.retries, 1);
    assert.equal(p.explanation, 'task=chat → route chat: a; fallback b; skipped c: not approved');
  });

  const requested: Array<[string, string[] | string]> = [
    ['auto', ['a', 'b']],
    ['chat', ['a', 'b']],
    ['b', ['b', 'a']],
    ['up-b', ['b', 'a']],
    ['other', '403 model_not_allowed'],
    ['c', '403 model_not_allowed'],
    ['gpt-9', '404 model_not_found'],
  ];
  for (const [model, expected] of requested) {
    it(`requested model "${model}" → ${Array.isArray(expected) ? expected.join(',') : expected}`, () => {
      if (Array.isArray(expected)) assert.deepEqual(plan('chat', model).candidates.map((c) => c.model), expected);
      else assert.equal(code(() => plan('chat', model)), expected);
    });
  }

  it('a task without a route is a 400', () => {
    assert.equal(code(() => plan('draw')), '400 no_route_for_task');
  });

  it('a route whose every model is unapproved plans nothing and says why', () => {
    assert.equal(code(() => plan('off')), '403 no_approved_model');
  });
});
