import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auth, chat, hello, KEYS, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway';

/**
 * One model on several deployments, through the whole path: a failing deployment fails over to the
 * model's next deployment before the route's next model, and the answer, its attempts and the
 * ledger name the deployment that answered.
 */
describe('deployments: failover inside a model before falling back to another', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({
      config: (url) =>
        testConfig(url, {
          models: {
            // least-busy with nothing in flight: heaviest first, so `down` is always tried first.
            small: {
              strategy: 'least-busy',
              deployments: [
                { name: 'down', provider: 'mock', upstream: 'mock-down+status=503', weight: 5 },
                { name: 'up', provider: 'mock', upstream: 'mock-up', weight: 1 },
              ],
            },
            large: { provider: 'mock', upstream: 'mock-large' },
          },
          routes: [
            { name: 'chat', match: { task: 'chat' }, primary: 'small', fallbacks: ['large'], timeout: '5s', retries: 0 },
            { name: 'summarize', match: { task: 'summarize' }, primary: 'large' },
          ],
        }),
    });
  });
  after(() => gw?.close());

  it('the failing deployment is left for the model\'s next one; the route\'s fallback model is never called', async () => {
    const res = await chat(gw.url, hello('which deployment?'), { ...auth(KEYS.support), 'x-gatehouse-task': 'chat' });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const g = res.json.gatehouse;
    assert.equal(g.model, 'small');
    assert.equal(g.deployment, 'up');
    assert.equal(g.upstream_model, 'mock-up');
    assert.deepEqual(g.attempts.map((a: { deployment: string; outcome: string }) => `${a.deployment}:${a.outcome}`), ['down:failed', 'up:ok']);
    assert.match(g.explanation, /route chat: small@down; fallback small@up, large/);
    assert.equal(gw.mock.calls('mock-large'), 0);
    assert.equal(gw.mock.calls('mock-up'), 1);

    const row = (await gw.ledger.get(g.request_id))!;
    assert.deepEqual(JSON.parse(row.attempts).map((a: { deployment: string }) => a.deployment), ['down', 'up']);
  });
});
