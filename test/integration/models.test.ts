import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashApiKey } from '../../src/auth';
import { KEYS, auth, chat, hello, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway';

const TESTER = 'test-key-tester-0123456789abcdef';
const NARROW = 'test-key-narrow-0123456789abcdef';

/**
 * A test-stage chat route (first, so it wins for its test caller), a stable one whose fallbacks
 * include a retired and an unapproved model, and callers with different tasks and allow-lists.
 */
const config = (mockUrl: string) =>
  testConfig(mockUrl, {
    models: {
      small: { provider: 'mock', upstream: 'mock-small' },
      large: { provider: 'mock', upstream: 'mock-large' },
      next: { provider: 'mock', upstream: 'mock-small' },
      old: { provider: 'mock', upstream: 'mock-large', status: 'retired' },
      pending: { provider: 'mock', upstream: 'mock-large', approved: false },
    },
    callers: {
      support: { team: 'support', roles: ['caller'], tasks: ['chat', 'summarize'], defaultTask: 'chat', keyHash: hashApiKey(KEYS.support) },
      analyst: { team: 'data', roles: ['caller'], tasks: ['summarize'], keyHash: hashApiKey(KEYS.analyst) },
      tester: { team: 'qa', roles: ['caller'], tasks: ['chat'], keyHash: hashApiKey(TESTER) },
      narrow: { team: 'support', roles: ['caller'], tasks: ['chat', 'summarize'], defaultTask: 'chat', routes: ['chat'], models: ['small'], keyHash: hashApiKey(NARROW) },
    },
    routes: [
      { name: 'chat-next', match: { task: 'chat' }, stage: 'test', testCallers: ['tester'], primary: 'next', fallbacks: ['small'], timeout: '5s', retries: 0 },
      { name: 'chat', match: { task: 'chat' }, primary: 'small', fallbacks: ['large', 'old', 'pending'], timeout: '5s', retries: 0 },
      { name: 'summarize', match: { task: 'summarize' }, primary: 'large', timeout: '5s', retries: 0 },
    ],
  });

describe('GET /v1/models lists only what the caller may use (real dev server, real mock provider)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ config });
  });
  after(() => gw?.close());

  const listed = async (key: string) => {
    const res = await fetch(`${gw.url}/v1/models`, { headers: auth(key) });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { object: string; data: Array<{ id: string; object: string; owned_by: string }> };
    assert.equal(body.object, 'list');
    for (const m of body.data) assert.equal(m.object, 'model');
    return body.data.map((m) => m.id);
  };

  it('two callers with different tasks see different lists; retired and unapproved models are never listed', async () => {
    assert.deepEqual(await listed(KEYS.support), ['auto', 'small', 'large']);
    assert.deepEqual(await listed(KEYS.analyst), ['auto', 'large']);
  });

  it('a test-stage route\'s model is listed only for its test caller, and only that caller can use it', async () => {
    assert.ok(!(await listed(KEYS.support)).includes('next'));
    assert.deepEqual(await listed(TESTER), ['auto', 'next', 'small']);
    const tried = await chat(gw.url, hello('hi', 'next'), auth(TESTER));
    assert.equal(tried.status, 200);
    assert.equal(tried.json.gatehouse.route, 'chat-next');
    const refused = await chat(gw.url, hello('hi', 'next'), auth(KEYS.support));
    assert.equal(refused.status, 403);
    assert.equal(refused.json.error.code, 'model_not_allowed');
  });

  it('the caller\'s routes and models allow-lists narrow the list, as they narrow its requests', async () => {
    assert.deepEqual(await listed(NARROW), ['auto', 'small']);
    const refused = await chat(gw.url, hello('hi', 'large'), auth(NARROW));
    assert.equal(refused.status, 403);
    assert.equal(refused.json.error.code, 'model_not_allowed');
  });
});
