import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashApiKey } from '../../src/auth';
import { auth, chat, hello, startTestGateway, type TestGateway } from '../helpers/gateway';
import { streamChat } from '../helpers/sse';

const key = (name: string) => `test-key-${name}-0123456789abcdef`;
const PRICE = { inputPerMTok: 1000, outputPerMTok: 1000 };

/** The route's exact cache through the front door: hits, misses, scopes, streaming, the ledger. */
describe('response cache', () => {
  let gw: TestGateway;
  const ask = (who: string, task: string, body: object, extra: Record<string, string> = {}) =>
    chat(gw.url, body, { ...auth(key(who)), 'x-gatehouse-task': task, ...extra });

  before(async () => {
    gw = await startTestGateway({
      config: (url) => ({
        providers: { mock: { kind: 'openai-compatible', baseUrl: url } },
        models: {
          mine: { provider: 'mock', upstream: 'mock-mine', price: PRICE },
          shared: { provider: 'mock', upstream: 'mock-shared', price: PRICE },
          open: { provider: 'mock', upstream: 'mock-open', price: PRICE },
          brief: { provider: 'mock', upstream: 'mock-brief', price: PRICE },
        },
        callers: {
          ann: { team: 'web', tasks: ['mine', 'shared', 'open', 'brief'], keyHash: hashApiKey(key('ann')) },
          bob: { team: 'web', tasks: ['mine', 'shared', 'open'], keyHash: hashApiKey(key('bob')) },
          eve: { team: 'ops', tasks: ['mine', 'shared', 'open'], keyHash: hashApiKey(key('eve')) },
        },
        routes: [
          { name: 'mine', match: { task: 'mine' }, primary: 'mine', cache: { ttl: '10m' } },
          { name: 'shared', match: { task: 'shared' }, primary: 'shared', cache: { ttl: '10m', scope: 'team' } },
          { name: 'open', match: { task: 'open' }, primary: 'open', cache: { ttl: '10m', scope: 'global', callerBypass: 'deny' } },
          { name: 'brief', match: { task: 'brief' }, primary: 'brief', cache: { ttl: '1s' } },
        ],
      }),
    });
  });
  after(() => gw?.close());

  it('the same request again is answered from the cache: no provider call, cost 0, the saved cost in the response and the ledger', async () => {
    const first = await ask('ann', 'mine', hello('cache me'));
    assert.equal(first.status, 200);
    assert.equal(first.json.gatehouse.cache, undefined);
    const calls = gw.mock.calls('mock-mine');
    // An explicit temperature 0 is another request (the key sees every sampling parameter).
    const again = await ask('ann', 'mine', { ...hello('cache me'), temperature: 0 });
    assert.equal(again.json.gatehouse.cache, undefined);
    const second = await ask('ann', 'mine', hello('cache me'));
    assert.equal(second.status, 200);
    assert.equal(second.json.choices[0].message.content, first.json.choices[0].message.content);
    assert.equal(second.json.gatehouse.cache.hit, true);
    assert.equal(second.json.gatehouse.cost_usd, 0);
    assert.ok(second.json.gatehouse.cache.saved_cost_usd > 0);
    assert.equal(second.json.gatehouse.cache.saved_cost_usd, first.json.gatehouse.cost_usd);
    assert.equal(second.json.gatehouse.attempts[0].cached, true);
    assert.equal(gw.mock.calls('mock-mine'), calls + 1, 'only the changed request called the provider');
    const row = (await gw.ledger.get(second.json.gatehouse.request_id))!;
    assert.equal(row.status, 'completed');
    assert.equal(row.cache_hit, 1);
    assert.equal(row.cost_usd, 0);
    assert.equal(row.saved_cost_usd, first.json.gatehouse.cost_usd);
    assert.equal((await gw.ledger.get(first.json.gatehouse.request_id))!.cache_hit, null);
  });

  it('scope: caller scope never crosses callers; team scope shares within a team and never with another team', async () => {
    await ask('ann', 'mine', hello('private words'));
    assert.equal((await ask('bob', 'mine', hello('private words'))).json.gatehouse.cache, undefined);
    await ask('ann', 'shared', hello('team words'));
    assert.equal((await ask('bob', 'shared', hello('team words'))).json.gatehouse.cache?.hit, true);
    assert.equal((await ask('eve', 'shared', hello('team words'))).json.gatehouse.cache, undefined);
  });

  it('temperature > 0 is neither read nor kept; Cache-Control: no-cache answers fresh unless the route denies it', async () => {
    const hot = { ...hello('creative'), temperature: 0.9 };
    await ask('ann', 'mine', hot);
    const calls = gw.mock.calls('mock-mine');
    assert.equal((await ask('ann', 'mine', hot)).json.gatehouse.cache, undefined);
    assert.equal(gw.mock.calls('mock-mine'), calls + 1);

    await ask('ann', 'mine', hello('fresh please'));
    assert.equal((await ask('ann', 'mine', hello('fresh please'), { 'cache-control': 'no-cache' })).json.gatehouse.cache, undefined);
    await ask('ann', 'open', hello('anyone'));
    assert.equal((await ask('eve', 'open', hello('anyone'), { 'cache-control': 'no-cache' })).json.gatehouse.cache?.hit, true);
  });

  it('an entry expires after the route\'s ttl: the same request is then answered fresh', async () => {
    await ask('ann', 'brief', hello('short-lived'));
    assert.equal((await ask('ann', 'brief', hello('short-lived'))).json.gatehouse.cache?.hit, true);
    const calls = gw.mock.calls('mock-brief');
    let fresh: { json: { gatehouse: { cache?: unknown } } } | undefined;
    for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((r) => setTimeout(r, 250))) {
      const res = await ask('ann', 'brief', hello('short-lived'));
      if (res.json.gatehouse.cache === undefined) {
        fresh = res;
        break;
      }
    }
    assert.ok(fresh, 'a miss after the ttl');
    assert.equal(gw.mock.calls('mock-brief'), calls + 1);
  });

  it('a cached answer streams like a fresh one', async () => {
    const fresh = await ask('ann', 'mine', hello('stream me later'));
    const calls = gw.mock.calls('mock-mine');
    const res = await streamChat(gw.url, hello('stream me later'), { ...auth(key('ann')), 'x-gatehouse-task': 'mine' });
    assert.equal(res.status, 200);
    assert.ok(res.done);
    assert.equal(res.text, fresh.json.choices[0].message.content);
    assert.equal(gw.mock.calls('mock-mine'), calls);
  });
});
