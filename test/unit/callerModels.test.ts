import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { modelsForCaller } from '../../src/catalog/callerModels';
import { parseConfigObject } from '../../src/config';

/** Distinct key hashes (the config refuses a hash shared by two callers). */
const key = (n: number) => `sha256:${String(n).repeat(64)}`;
const config = parseConfigObject({
  providers: { p: { kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1' } },
  models: {
    small: { provider: 'p', upstream: 's' },
    large: { provider: 'p', upstream: 'l' },
    nightly: { provider: 'p', upstream: 'n', latency: 'batch' },
    next: { provider: 'p', upstream: 'x' },
    careful: { provider: 'p', upstream: 'c' },
    old: { provider: 'p', upstream: 'o', retirementDate: '2026-01-01' },
    draft: { provider: 'p', upstream: 'd', status: 'proposed' },
  },
  callers: {
    everyone: { team: 't', tasks: ['chat', 'summarize'], keyHash: key(1) },
    tester: { team: 't', tasks: ['chat'], keyHash: key(2) },
    onlyChat: { team: 't', tasks: ['chat', 'summarize'], routes: ['chat'], keyHash: key(3) },
    onlySmall: { team: 't', tasks: ['chat', 'summarize'], models: ['small', 'careful'], keyHash: key(4) },
    reviewer: { team: 't', roles: ['reviewer'], tasks: [], keyHash: key(5) },
  },
  routes: [
    { name: 'chat-next', match: { task: 'chat' }, stage: 'test', testCallers: ['tester'], primary: 'next' },
    { name: 'chat', match: { task: 'chat', risk: ['low', 'medium'] }, primary: 'small', fallbacks: ['old', 'draft'], batch: ['nightly'] },
    { name: 'chat-high', match: { task: 'chat', risk: ['high'] }, primary: 'careful' },
    { name: 'summarize', match: { task: 'summarize' }, primary: 'large', fallbacks: ['small'] },
  ],
});
const NOW = Date.parse('2026-06-01T00:00:00Z');

describe('modelsForCaller: what /v1/models lists', () => {
  it('lists the models of every route the caller can be given, at any risk, in route order without repeats', () => {
    assert.deepEqual(modelsForCaller('everyone', config, NOW), ['small', 'nightly', 'careful', 'large']);
  });

  it('leaves out retired (by date or status) and unapproved models', () => {
    const listed = modelsForCaller('everyone', config, NOW);
    for (const m of ['old', 'draft']) assert.ok(!listed.includes(m), m);
    // Before its retirement date, the model is still routable and listed.
    assert.ok(modelsForCaller('everyone', config, Date.parse('2025-12-31T00:00:00Z')).includes('old'));
  });

  it('a test-stage route is listed only for its test callers (and shadows the stable route it precedes)', () => {
    assert.ok(!modelsForCaller('everyone', config, NOW).includes('next'));
    assert.deepEqual(modelsForCaller('tester', config, NOW), ['next']);
  });

  it('the caller\'s routes and models lists narrow it', () => {
    assert.deepEqual(modelsForCaller('onlyChat', config, NOW), ['small', 'nightly']);
    assert.deepEqual(modelsForCaller('onlySmall', config, NOW), ['small', 'careful']);
  });

  it('what the kill switch holds is not listed: a held model, nor the models of a held route', () => {
    const held = { disabledModels: new Map([['nightly', 'incident']]), disabledRoutes: new Map([['chat-high', 'incident']]) };
    assert.deepEqual(modelsForCaller('everyone', config, NOW, held), ['small', 'large']);
  });

  it('an unknown caller or one without tasks sees nothing', () => {
    assert.deepEqual(modelsForCaller('ghost', config, NOW), []);
    assert.deepEqual(modelsForCaller('reviewer', config, NOW), []);
  });
});
