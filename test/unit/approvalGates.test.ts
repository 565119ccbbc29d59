import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigObject, type RouteConfig } from '../../src/config';
import { approvalKey, mayUseUnapproved, selectRoute, unapprovedRoutes } from '../../src/routing';

const KEY = `sha256:${'a'.repeat(64)}`;
const cfg = parseConfigObject({
  providers: { p: { kind: 'openai', baseUrl: 'http://p/v1' } },
  models: { a: { provider: 'p', upstream: 'a' }, b: { provider: 'p', upstream: 'b' } },
  callers: { app: { team: 't', tasks: ['t'], keyHash: KEY }, qa: { team: 't', tasks: ['t'], keyHash: `sha256:${'b'.repeat(64)}` } },
  routes: [
    { name: 'new', match: { task: 't' }, primary: 'b', testCallers: ['qa'], approval: { clearedRisk: ['low'] } },
    { name: 'old', match: { task: 't' }, primary: 'a' },
  ],
});
const gated = cfg.routes[0]!;
const hash = (r: RouteConfig) => `${r.name}:${r.primary}`;
const v = (version: number, author: string, primary: string) => ({ version, author, routes: [{ ...gated, primary }] });

describe('approval gates (pure)', () => {
  it('a definition is unapproved until an approval names its hash; the proposer is who introduced it', () => {
    const versions = [v(3, 'bob', 'b'), v(2, 'bob', 'b'), v(1, 'config-file', 'a')];
    const u = unapprovedRoutes([gated], versions, new Set(), hash, 'config-file').get('new');
    assert.deepEqual(u, { proposedBy: 'bob', since: 2, hash: 'new:b' });
    assert.equal(unapprovedRoutes([gated], versions, new Set([approvalKey('new', 'new:b')]), hash, 'config-file').size, 0);
    assert.equal(unapprovedRoutes([gated], versions, new Set([approvalKey('new', 'new:a')]), hash, 'config-file').size, 1, 'an older approval does not carry over');
  });

  it('the config file\'s definitions count as approved; routes without a gate are never listed', () => {
    assert.equal(unapprovedRoutes([gated], [v(1, 'config-file', 'b')], new Set(), hash, 'config-file').size, 0);
    assert.equal(unapprovedRoutes([cfg.routes[1]!], [{ version: 2, author: 'bob', routes: [cfg.routes[1]!] }], new Set(), hash, 'config-file').size, 0);
  });

  it('test callers and cleared risk may use it; high risk never, whoever asks', () => {
    assert.equal(mayUseUnapproved(gated, 'app', 'low'), true);
    assert.equal(mayUseUnapproved(gated, 'app', 'medium'), false);
    assert.equal(mayUseUnapproved(gated, 'qa', 'medium'), true);
    assert.equal(mayUseUnapproved(gated, 'qa', 'high'), false);
    assert.throws(() => parseConfigObject({ ...JSON.parse(JSON.stringify({ providers: { p: { kind: 'openai', baseUrl: 'http://p/v1' } }, models: { a: { provider: 'p', upstream: 'a' } }, callers: { app: { team: 't', tasks: ['t'], keyHash: KEY } } })), routes: [{ name: 'x', match: { task: 't' }, primary: 'a', approval: { clearedRisk: ['high'] } }] }), /clearedRisk/);
  });

  it('selection passes over an unapproved route it may not use, to the next fitting one', () => {
    const unapproved = (r: string) => (r === 'new' ? { proposedBy: 'bob', since: 2, hash: 'h' } : undefined);
    assert.equal(selectRoute({ caller: 'app', task: 't', risk: 'low' }, cfg, undefined, unapproved).name, 'new');
    assert.equal(selectRoute({ caller: 'app', task: 't', risk: 'high' }, cfg, undefined, unapproved).name, 'old');
    assert.equal(selectRoute({ caller: 'app', task: 't', risk: 'high' }, cfg).name, 'new');
  });
});
