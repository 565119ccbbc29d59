import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { createWebhookActivities } from '../../activities/webhook';
import type { ActivityDeps } from '../../activities/deps';
import { completedView } from '../../src/requests/view';

/** A receiver on 127.0.0.1 answering every POST with `status` (and `location` when given); records what it got. */
async function receiver(status: number, location?: string) {
  const got: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      got.push(body);
      res.writeHead(status, location ? { location } : {}).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, got, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const deps = (url: string) =>
  ({
    config: () => ({ callers: { hooked: { webhook: { url, secretEnv: 'HOOK_SECRET' } } } }),
    env: { HOOK_SECRET: 'secret' },
    logger: pino({ level: 'silent' }),
  }) as unknown as ActivityDeps;

const delivery = {
  requestId: 'req-redirect',
  caller: 'hooked',
  view: completedView('req-redirect', { id: 'x', model: 'small', choices: [], gatehouse: {} } as never),
};

describe('webhook delivery never follows a redirect', () => {
  let elsewhere: Awaited<ReturnType<typeof receiver>>;
  before(async () => {
    elsewhere = await receiver(204);
  });
  after(() => elsewhere.close());

  for (const status of [307, 308, 302, 301]) {
    it(`${status} is a failed, non-retryable delivery naming the redirect; the signed body goes nowhere else`, async () => {
      const redirecting = await receiver(status, elsewhere.url);
      try {
        const { deliverWebhook } = createWebhookActivities(deps(redirecting.url));
        const err = await new MockActivityEnvironment().run(deliverWebhook, delivery).then(
          () => assert.fail('a redirect must not count as delivered'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof ApplicationFailure, String(err));
        assert.equal(err.type, 'WebhookRedirected');
        assert.equal(err.nonRetryable, true);
        assert.match(err.message, new RegExp(`HTTP ${status}.*redirects are not followed`));
        assert.equal(redirecting.got.length, 1);
        assert.equal(elsewhere.got.length, 0, 'the redirect target never received the result');
      } finally {
        await redirecting.close();
      }
    });
  }

  it('a 2xx is still delivered', async () => {
    const { deliverWebhook } = createWebhookActivities(deps(elsewhere.url));
    assert.deepEqual(await new MockActivityEnvironment().run(deliverWebhook, delivery), { status: 204 });
    assert.equal(elsewhere.got.length, 1);
  });
});
