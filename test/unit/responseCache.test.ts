import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cacheScope, cacheUse, canonicalRequest, parseCacheControl } from '../../src/cache/policy';
import { RouteCacheSchema } from '../../src/config/cache';
import { DbResponseCache, MAX_ENTRY_BYTES } from '../../src/store/responseCache';
import { DATABASES } from '../helpers/databases';

const cache = (over: Record<string, unknown> = {}) => RouteCacheSchema.parse({ ttl: '10m', ...over });
const body = (over: Record<string, unknown> = {}) => ({ model: 'auto', messages: [{ role: 'user' as const, content: 'hi' }], ...over });

describe('response cache policy (pure)', () => {
  it('only routes that opt in cache; a plain request both reads and keeps', () => {
    assert.deepEqual(cacheUse(undefined, { body: body(), dataClass: 'internal', reviewed: false }), { lookup: false, store: false });
    assert.deepEqual(cacheUse(cache(), { body: body(), dataClass: 'internal', reviewed: false }), { lookup: true, store: true });
  });

  it('temperature > 0 is never cached unless the route says so; 0 and unset are', () => {
    assert.equal(cacheUse(cache(), { body: body({ temperature: 0.7 }), dataClass: 'internal', reviewed: false }).skipped, 'temperature');
    assert.equal(cacheUse(cache(), { body: body({ temperature: 0 }), dataClass: 'internal', reviewed: false }).lookup, true);
    assert.equal(cacheUse(cache({ anyTemperature: true }), { body: body({ temperature: 0.7 }), dataClass: 'internal', reviewed: false }).lookup, true);
  });

  it('data classes the route does not allow are never cached, nor reviewed requests', () => {
    assert.equal(cacheUse(cache(), { body: body(), dataClass: 'confidential', reviewed: false }).skipped, 'data_class');
    assert.equal(cacheUse(cache({ dataClasses: ['confidential'] }), { body: body(), dataClass: 'confidential', reviewed: false }).lookup, true);
    assert.equal(cacheUse(cache(), { body: body(), dataClass: 'internal', reviewed: true }).skipped, 'review');
  });

  it('Cache-Control: no-cache answers fresh (and keeps it), no-store keeps nothing; a route may ignore both', () => {
    assert.deepEqual(cacheUse(cache(), { body: body(), dataClass: 'internal', reviewed: false, directive: 'no-cache' }), { lookup: false, store: true });
    assert.equal(cacheUse(cache(), { body: body(), dataClass: 'internal', reviewed: false, directive: 'no-store' }).store, false);
    assert.deepEqual(cacheUse(cache({ callerBypass: 'deny' }), { body: body(), dataClass: 'internal', reviewed: false, directive: 'no-store' }), { lookup: true, store: true });
    assert.equal(parseCacheControl('No-Cache'), 'no-cache');
    assert.equal(parseCacheControl('max-age=0'), 'no-cache');
    assert.equal(parseCacheControl('no-cache, no-store'), 'no-store');
    assert.equal(parseCacheControl('public'), undefined);
  });

  it('scope: the same caller, the same team, or everyone', () => {
    const who = { caller: 'bot', team: 'web' };
    assert.equal(cacheScope(cache(), who), 'caller:bot');
    assert.equal(cacheScope(cache({ scope: 'team' }), who), 'team:web');
    assert.equal(cacheScope(cache({ scope: 'global' }), who), 'global');
  });

  it('the key sees messages, tools and sampling parameters in any key order, never stream, user or metadata', () => {
    const a = canonicalRequest(body({ temperature: 0, tools: [{ type: 'function', function: { name: 'f', parameters: { b: 1, a: 2 } } }] }));
    const b = canonicalRequest({ tools: [{ function: { parameters: { a: 2, b: 1 }, name: 'f' }, type: 'function' }], temperature: 0, messages: [{ content: 'hi', role: 'user' }], model: 'other', stream: true, user: 'u1', metadata: { x: 'y' } } as never);
    assert.equal(a, b);
    assert.notEqual(canonicalRequest(body({ temperature: 0 })), canonicalRequest(body({ temperature: 0, max_tokens: 5 })));
    assert.notEqual(canonicalRequest(body()), canonicalRequest(body({ messages: [{ role: 'user', content: 'hi!' }] })));
  });
});

for (const target of DATABASES) {
  describe(`the response cache in the database (${target.name})`, { skip: target.skip }, () => {
    it('keeps an entry until its ttl, then answers a miss; an oversized answer is not kept', async () => {
      const store = new DbResponseCache(await target.open());
      const completion = { id: 'c1', object: 'chat.completion' as const, created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }] };
      await store.put('k', { completion, model: 'small', storedAt: 1_000 }, 5_000);
      assert.equal((await store.get('k', 5_999))?.completion.choices[0]?.message.content, 'hello');
      assert.equal(await store.get('k', 6_000), undefined);
      await store.put('k', { completion, model: 'small', storedAt: 7_000 }, 5_000);
      assert.equal((await store.get('k', 8_000))?.model, 'small', 'a fresh answer replaces the expired entry');
      const big = { ...completion, choices: [{ index: 0, message: { role: 'assistant', content: 'x'.repeat(MAX_ENTRY_BYTES) }, finish_reason: 'stop' }] };
      await store.put('big', { completion: big, model: 'small', storedAt: 1_000 }, 5_000);
      assert.equal(await store.get('big', 2_000), undefined);
    });
  });
}
