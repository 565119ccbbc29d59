import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hello, startTestGateway, type TestGateway } from '../helpers/gateway';
import { MODES, ask, failureConfig, recorded } from '../helpers/failures';

/** Short breaker windows so the whole open → probe → closed cycle fits in a test. */
const BREAKER = { GATEHOUSE_BREAKER_FAILURES: '2', GATEHOUSE_BREAKER_WINDOW_MS: '10000', GATEHOUSE_BREAKER_COOLDOWN_MS: '1000' };

const config = failureConfig(
  { flappy: 'mock-flappy', flappy2: 'mock-flappy-2' },
  [
    { name: 'flap', primary: 'flappy', fallbacks: ['backup'], retries: 0 },
    { name: 'flap2', primary: 'flappy2', fallbacks: ['backup'], retries: 0 },
  ],
);

describe('a flapping primary (circuit breaker, real dev server)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ config, env: BREAKER });
  });
  after(() => gw?.close());

  for (const mode of MODES) {
    it(`${mode}: opens after repeated failures, serves from the fallback, probes, and returns within 30 s of recovery`, async () => {
      const [task, upstream, model] = mode === 'json' ? ['flap', 'mock-flappy', 'flappy'] : ['flap2', 'mock-flappy-2', 'flappy2'];
      gw.mock.queueFaults(upstream, ['status=500', 'status=500']);
      for (let i = 0; i < 2; i++) {
        const seen = await ask(gw, task, mode, hello(`failing ${i}`));
        assert.equal(seen.model, 'backup', 'each failure still gets an answer from the fallback');
      }
      assert.equal(gw.mock.calls(upstream), 2);

      // Open: the primary is skipped, not called; the fallback answers at once.
      const whileOpen = await ask(gw, task, mode, hello('while open'));
      assert.equal(whileOpen.model, 'backup');
      assert.equal(gw.mock.calls(upstream), 2, 'no call to an open circuit');
      assert.match((await recorded(gw, whileOpen.requestId)).explanation ?? '', /circuit open/);

      // The primary has recovered (its fault queue is empty). After the cool-down one probe goes to it.
      const recovered = Date.now();
      let back: Awaited<ReturnType<typeof ask>> | undefined;
      while (Date.now() - recovered < 30_000) {
        const seen = await ask(gw, task, mode, hello('after recovery'));
        if (seen.model === model) {
          back = seen;
          break;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(back, 'traffic never returned to the primary');
      assert.ok(Date.now() - recovered < 30_000);
      assert.equal(gw.mock.calls(upstream), 3, 'exactly one probe call');
      // Closed again: the next request goes to the primary as usual.
      assert.equal((await ask(gw, task, mode, hello('closed again'))).model, model);
    });
  }
});
