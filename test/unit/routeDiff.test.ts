import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Config, type RouteConfig } from '../../src/config';
import { twoRouteConfig } from '../helpers/routeTable';
import { needsApproval } from '../../src/routes/control';
import { diffRouteTables, formatDiff, isEmptyDiff, touchedRoutes } from '../../src/routes/diff';
import { RouteTableSchema, validateRouteTable } from '../../src/routes/validate';

const base: Config = twoRouteConfig({ limits: { routes: { sum: { rpm: 10 } } } });

const table = (raw: unknown[]): RouteConfig[] => RouteTableSchema.parse(raw);

describe('route table diff', () => {
  const before = base.routes;

  it('no change is an empty diff, said as such', () => {
    const d = diffRouteTables(before, table(before));
    assert.ok(isEmptyDiff(d));
    assert.deepEqual(formatDiff(d), ['no changes']);
  });

  it('lists added, removed and changed routes with every changed field, before → after', () => {
    const after = table([
      { name: 'chat', match: { task: 'chat' }, primary: 'a', fallbacks: ['b', 'c'], canary: { model: 'c', share: 0.1 }, timeout: '10s' },
      { name: 'chat-beta', match: { task: 'chat' }, primary: 'c', stage: 'test' },
    ]);
    const d = diffRouteTables(before, after);
    assert.deepEqual(d.added, ['chat-beta']);
    assert.deepEqual(d.removed, ['sum']);
    assert.deepEqual(touchedRoutes(d), ['chat-beta', 'sum', 'chat']);
    assert.deepEqual(formatDiff(d, after), [
      '+ route chat-beta (task chat, primary c)',
      '- route sum',
      '~ route chat',
      '    canary: (none) → {"model":"c","share":0.1,"by":"request"}',
      '    fallbacks: ["b"] → ["b","c"]',
      '    timeout: 30s → 10s',
    ]);
  });

  it('a nested field is named by its path; a new route order is said', () => {
    const withCanary = table([{ ...before[0], canary: { model: 'c', share: 0.1 } }, before[1]]);
    const raised = table([before[1], { ...before[0], canary: { model: 'c', share: 0.25 } }]);
    assert.deepEqual(formatDiff(diffRouteTables(withCanary, raised)), ['~ route chat', '    canary.share: 0.1 → 0.25', '  order: chat, sum → sum, chat']);
  });

  it('a change touching a protected route (before or after) needs a second admin', () => {
    const chatOnly = table([{ ...before[0], primary: 'c' }, before[1]]);
    assert.equal(needsApproval(diffRouteTables(before, chatOnly), before, chatOnly), false);
    const sumChanged = table([before[0], { ...before[1], primary: 'c' }]);
    assert.equal(needsApproval(diffRouteTables(before, sumChanged), before, sumChanged), true);
    const unprotect = table([before[0], { ...before[1], protected: false }]);
    assert.equal(needsApproval(diffRouteTables(before, unprotect), before, unprotect), true, 'removing the protection is itself protected');
  });
});

describe('route table validation', () => {
  it('accepts a table that fits the rest of the config, with defaults applied', () => {
    const check = validateRouteTable([{ name: 'chat', match: { task: 'chat' }, primary: 'b' }, { name: 'sum', match: { task: 'sum' }, primary: 'a' }], base);
    assert.ok(check.ok);
    assert.equal(check.routes[0]!.timeout, '30s');
  });

  it('lists every problem by path: schema, unknown models, callers left without a route, limits', () => {
    const check = validateRouteTable([{ name: 'chat', match: { task: 'chat' }, primary: 'ghost', fallbacks: ['a'], shadow: { model: 'nope', share: 0.1 } }], base);
    assert.ok(!check.ok);
    assert.deepEqual(check.problems, [
      'routes.0.primary: unknown model "ghost"',
      'routes.0.shadow.model: unknown model "nope"',
      'callers.bot.tasks.1: no route matches task "sum"',
      'limits.routes.sum: unknown route "sum"',
    ]);
    const schema = validateRouteTable([{ name: 'chat', primary: 'a', retries: -1 }], base);
    assert.ok(!schema.ok);
    assert.ok(schema.problems.some((p) => p.startsWith('routes.0.match:')), schema.problems.join('\n'));
    assert.ok(schema.problems.some((p) => p.startsWith('routes.0.retries:')), schema.problems.join('\n'));
    const empty = validateRouteTable([], base);
    assert.ok(!empty.ok);
    assert.match(empty.problems[0]!, /at least one route/);
  });
});
