import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { sinceTime } from '../../src/canary/since';
import { GatewayError } from '../../src/errors';
import { MAX_BODY_BYTES, bodyLimitFrom, jsonDepthExceeds } from '../../src/http/body';
import { registerGuard } from '../../src/http/guard';
import { isRequestId } from '../../src/http/requests';
import { LimitsSchema, RateLimiter } from '../../src/limits';
import { Ledger } from '../../src/store';
import { openDatabase } from '../../src/db';
import { CallerDirectory } from '../../src/auth';
import { DurationSchema } from '../../src/config/durationSchema';
import { ReviewConfigSchema } from '../../src/review/schema';

const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);

describe('front door input checks (pure)', () => {
  it('JSON depth: counts real nesting, skips brackets inside strings and escaped quotes', () => {
    assert.equal(jsonDepthExceeds(nested(64), 64), false);
    assert.equal(jsonDepthExceeds(nested(65), 64), true);
    assert.equal(jsonDepthExceeds(`{"a":[{"b":{}}]}`, 4), false);
    assert.equal(jsonDepthExceeds(`{"a":[{"b":{}}]}`, 3), true);
    assert.equal(jsonDepthExceeds(JSON.stringify({ s: '[[[[[[[[{{{{{{' }), 1), false);
    assert.equal(jsonDepthExceeds(JSON.stringify({ s: 'quote \\" then [[[[' }), 1), false);
    // Siblings do not add up: depth, not count.
    assert.equal(jsonDepthExceeds(JSON.stringify(Array.from({ length: 1000 }, () => [[1]])), 3), false);
  });

  it('JSON depth: a 4 MB run of brackets is scanned in linear time', () => {
    const t0 = performance.now();
    assert.equal(jsonDepthExceeds('['.repeat(4_000_000), 1_000_000_000), false);
    // Generous bound on a shared machine: a quadratic scan of 4M characters would take hours.
    assert.ok(performance.now() - t0 < 2000);
  });

  it('canary since: absurd, malformed or out-of-range durations and dates are no time (400), never a RangeError', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(sinceTime('1h', now), '2025-12-31T23:00:00.000Z');
    assert.equal(sinceTime('99999999999999d', now), undefined);
    assert.equal(sinceTime(`${'9'.repeat(400)}d`, now), undefined);
    assert.equal(sinceTime('+275760-09-14T00:00:00.000Z', now), undefined);
    assert.equal(sinceTime('yesterday-ish', now), undefined);
    assert.equal(sinceTime(['1h', '2h'] as unknown as string, now), undefined);
  });

  it('config durations (route timeouts, deadlines, windows, review deadlines) stop at 366 days', () => {
    assert.ok(DurationSchema.safeParse('366d').success);
    for (const bad of ['99999999999999d', '367d', `${'9'.repeat(400)}ms`]) assert.equal(DurationSchema.safeParse(bad).success, false, bad);
    assert.equal(ReviewConfigSchema.safeParse({ when: 'always', deadline: '99999999999999d' }).success, false);
  });

  it('request ids: empty, over-long or foreign-looking ids are not looked up', () => {
    assert.ok(isRequestId('req-0123456789abcdef-my.key:1'));
    assert.ok(isRequestId('req-0123/webhook'));
    for (const bad of ['', 'x'.repeat(401), 'req- space', 'req-\u0000', 'réq']) assert.equal(isRequestId(bad), false, bad);
  });

  it('body limit: default 1 MiB, configurable lower, never above what a Temporal payload holds', () => {
    assert.equal(bodyLimitFrom(undefined), MAX_BODY_BYTES);
    assert.equal(bodyLimitFrom('65536'), 65536);
    for (const bad of ['4194304', '-1', '1.5', 'lots', '12']) assert.throws(() => bodyLimitFrom(bad), /GATEHOUSE_BODY_LIMIT/);
  });
});

describe('refusal counting and the rate-limit peek', () => {
  it('the ledger counts refusals per minute, caller and code, without content', async () => {
    const db = await openDatabase(':memory:');
    const ledger = new Ledger(db);
    await ledger.refused({ caller: null, team: null, code: 'invalid_api_key', status: 401 });
    await ledger.refused({ caller: null, team: null, code: 'invalid_api_key', status: 401 });
    await ledger.refused({ caller: 'bot', team: 'web', code: 'rate_limit_exceeded', status: 429 });
    const rows = (await ledger.refusals());
    assert.deepEqual(
      rows.map(({ caller, team, code, status, count }) => ({ caller, team, code, status, count })),
      [
        { caller: null, team: null, code: 'invalid_api_key', status: 401, count: 2 },
        { caller: 'bot', team: 'web', code: 'rate_limit_exceeded', status: 429, count: 1 },
      ],
    );
    assert.match(rows[0]!.minute, /^\d{4}-\d\d-\d\dT\d\d:\d\d$/);
    await db.close();
  });

  it('peek refuses only a used-up caller or team bucket, and never consumes', async () => {
    const rl = new RateLimiter(LimitsSchema.parse({ callers: { bot: { rpm: 2 } }, teams: { web: { tpm: 100 } } }));
    await rl.peek({ caller: 'bot', team: 'web' });
    await rl.peek({ caller: 'bot', team: 'web' });
    await rl.peek({ caller: 'bot', team: 'web' });
    // Three peeks took nothing: both requests still fit.
    await rl.check({ caller: 'bot', team: 'web', tokens: 10 });
    const second = await rl.check({ caller: 'bot', team: 'web', tokens: 10 });
    assert.equal(second.headers['x-ratelimit-remaining-requests'], '0');
    const err = await rl.peek({ caller: 'bot', team: 'web' }).then(() => assert.fail('expected a 429'), (e: unknown) => e);
    assert.ok(err instanceof GatewayError && err.status === 429 && err.code === 'rate_limit_exceeded');
    const headers = (err.meta as { headers: Record<string, string> }).headers;
    assert.equal(headers['x-ratelimit-remaining-requests'], '0');
    assert.ok(Number(headers['retry-after']) >= 1);
    // Another caller of the same team is not refused by this caller's bucket.
    await rl.peek({ caller: 'other', team: 'web' });
    await rl.close();
  });
});

describe('the role guard', () => {
  it('refuses to register a route that does not declare who may call it', async () => {
    const app = Fastify();
    registerGuard(app, { callers: () => new CallerDirectory({ callers: {} } as never) });
    app.get('/open', { config: { role: 'public' } }, async () => 'ok');
    assert.throws(() => app.get('/forgot', async () => 'oops'), /declares no config\.role/);
    await app.close();
  });
});
