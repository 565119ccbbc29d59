import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { GatewayError } from '../../src/errors';
import { LimitsSchema, LoopDetector, RateLimiter, limitReferenceIssues, promptHash } from '../../src/limits';

const limitsOf = (raw: unknown) => LimitsSchema.parse(raw);

/** Awaits `attempt` and returns the 429 it throws (fails the test if it does not). */
async function refusal(attempt: Promise<unknown>): Promise<GatewayError> {
  try {
    await attempt;
  } catch (err) {
    assert.ok(err instanceof GatewayError, String(err));
    assert.equal(err.status, 429);
    return err;
  }
  assert.fail('expected a 429');
}

const meta = (err: GatewayError) => err.meta as { retryAfterMs: number; headers: Record<string, string>; scope?: string; kind?: string };

describe('LimitsSchema', () => {
  it('parses the documented block and defaults to no limits', () => {
    const l = limitsOf({
      callers: { 'support-bot': { rpm: 60, tpm: 100000 } },
      teams: { support: { rpm: 600, tpm: 1000000, budget: { dailyUsd: 50, monthlyUsd: 1000, soft: 0.8 } } },
      routes: { chat: { rpm: 1000 } },
      callerBudgets: { 'support-bot': { dailyUsd: 5, monthlyUsd: 100 } },
      loop: { maxRepeats: 5, windowSeconds: 60 },
    });
    assert.equal(l.teams.support?.budget?.soft, 0.8);
    assert.equal(l.callerBudgets['support-bot']?.soft, 0.8);
    assert.deepEqual(limitsOf({}), { callers: {}, teams: {}, routes: {}, callerBudgets: {} });
  });

  it('rejects nonsense and reports unknown names', () => {
    assert.ok(!LimitsSchema.safeParse({ callers: { a: { rpm: 0 } } }).success);
    assert.ok(!LimitsSchema.safeParse({ callers: { a: { rps: 1 } } }).success);
    assert.ok(!LimitsSchema.safeParse({ callerBudgets: { a: { soft: 0.5 } } }).success);
    assert.ok(!LimitsSchema.safeParse({ teams: { t: { budget: { dailyUsd: 1, soft: 1.5 } } } }).success);
    const issues = limitReferenceIssues(limitsOf({ callers: { ghost: { rpm: 1 } }, routes: { chat: { rpm: 1 } } }), {
      callers: ['bot'],
      teams: [],
      routes: ['chat'],
    });
    assert.deepEqual(issues, [{ path: ['limits', 'callers', 'ghost'], message: 'unknown caller "ghost"' }]);
  });
});

describe('RateLimiter', () => {
  it('caller rpm: admits up to the limit, then 429 with retry-after and headers', async () => {
    const rl = new RateLimiter(limitsOf({ callers: { bot: { rpm: 3 } } }));
    const first = await rl.check({ caller: 'bot', tokens: 10 });
    assert.deepEqual(first.headers, { 'x-ratelimit-limit-requests': '3', 'x-ratelimit-remaining-requests': '2' });
    await rl.check({ caller: 'bot', tokens: 10 });
    await rl.check({ caller: 'bot', tokens: 10 });
    const err = await refusal(rl.check({ caller: 'bot', tokens: 10 }));
    assert.equal(err.code, 'rate_limit_exceeded');
    assert.match(err.message, /caller bot: 3 requests per minute/);
    const m = meta(err);
    assert.ok(m.retryAfterMs > 0 && m.retryAfterMs <= 60_000, `${m.retryAfterMs}`);
    assert.equal(m.headers['retry-after'], String(Math.ceil(m.retryAfterMs / 1000)));
    assert.equal(m.headers['x-ratelimit-remaining-requests'], '0');
    await rl.check({ caller: 'other', tokens: 10 }); // other callers are not limited
  });

  it('caller tpm: a refused request gives its tokens back, a smaller one still fits', async () => {
    const rl = new RateLimiter(limitsOf({ callers: { bot: { tpm: 1000 } } }));
    const ok = await rl.check({ caller: 'bot', tokens: 600 });
    assert.deepEqual(ok.headers, { 'x-ratelimit-limit-tokens': '1000', 'x-ratelimit-remaining-tokens': '400' });
    const err = await refusal(rl.check({ caller: 'bot', tokens: 600 }));
    assert.match(err.message, /caller bot: 1000 tokens per minute/);
    assert.equal(meta(err).headers['x-ratelimit-remaining-tokens'], '400');
    const after = await rl.check({ caller: 'bot', tokens: 399.2 }); // rounded up to 400
    assert.equal(after.headers['x-ratelimit-remaining-tokens'], '0');
  });

  it('a request larger than a whole window is refused as never fitting', async () => {
    const rl = new RateLimiter(limitsOf({ callers: { bot: { tpm: 1000 } } }));
    const err = await refusal(rl.check({ caller: 'bot', tokens: 5000 }));
    assert.match(err.message, /needs 5000 tokens, more than caller bot: 1000 tokens per minute allows at all/);
    assert.equal((await rl.check({ caller: 'bot', tokens: 1000 })).headers['x-ratelimit-remaining-tokens'], '0');
  });

  it('team rpm is shared by the team’s callers; route rpm by everyone on the route', async () => {
    const rl = new RateLimiter(limitsOf({ teams: { support: { rpm: 2 } }, routes: { chat: { rpm: 3 } } }));
    await rl.check({ caller: 'a', team: 'support', tokens: 1 });
    await rl.check({ caller: 'b', team: 'support', tokens: 1 });
    assert.match((await refusal(rl.check({ caller: 'c', team: 'support', tokens: 1 }))).message, /team support: 2 requests per minute/);
    await rl.check({ caller: 'a', route: 'chat', tokens: 1 });
    await rl.check({ caller: 'b', route: 'chat', tokens: 1 });
    await rl.check({ caller: 'c', route: 'chat', tokens: 1 });
    const err = await refusal(rl.check({ caller: 'd', route: 'chat', tokens: 1 }));
    assert.match(err.message, /route chat: 3 requests per minute/);
    assert.equal(meta(err).scope, 'route');
  });

  it('combined: headers report the tightest bucket of each kind', async () => {
    const rl = new RateLimiter(
      limitsOf({ callers: { bot: { rpm: 10, tpm: 10000 } }, teams: { support: { rpm: 2, tpm: 50000 } }, routes: { chat: { rpm: 100 } } }),
    );
    const { headers } = await rl.check({ caller: 'bot', team: 'support', route: 'chat', tokens: 4000 });
    assert.deepEqual(headers, {
      'x-ratelimit-limit-requests': '2',
      'x-ratelimit-remaining-requests': '1',
      'x-ratelimit-limit-tokens': '10000',
      'x-ratelimit-remaining-tokens': '6000',
    });
  });

  it('a request refused by one bucket consumes nothing from the others', async () => {
    const rl = new RateLimiter(limitsOf({ callers: { bot: { rpm: 10, tpm: 1000 } }, teams: { support: { tpm: 500 } }, routes: { chat: { rpm: 5 } } }));
    const req = { caller: 'bot', team: 'support', route: 'chat' };
    await rl.check({ ...req, tokens: 400 });
    const err = await refusal(rl.check({ ...req, tokens: 200 }));
    assert.match(err.message, /team support: 500 tokens per minute/);
    assert.equal(meta(err).kind, 'tokens');
    // The refused request left no trace: only the first and this one count.
    const { headers } = await rl.check({ ...req, tokens: 100 });
    assert.equal(headers['x-ratelimit-remaining-requests'], '3'); // route: 5 - 2
    assert.equal(headers['x-ratelimit-remaining-tokens'], '0'); // team: 500 - 400 - 100
    await rl.check({ caller: 'bot', tokens: 500 }); // caller tokens: 1000 - 400 - 100 = 500 left
  });

  it('no applicable limit: admitted with no headers', async () => {
    const rl = new RateLimiter(limitsOf({}));
    assert.deepEqual(await rl.check({ caller: 'x', team: 'y', route: 'z', tokens: 1e9 }), { allowed: true, headers: {} });
  });

  it('the window resets', async () => {
    const rl = new RateLimiter(limitsOf({ callers: { bot: { rpm: 1 } } }), { windowSeconds: 1 });
    await rl.check({ caller: 'bot', tokens: 0 });
    const err = await refusal(rl.check({ caller: 'bot', tokens: 0 }));
    assert.match(err.message, /1 requests per 1s/);
    assert.ok(meta(err).retryAfterMs <= 1000);
    await sleep(meta(err).retryAfterMs + 50);
    await rl.check({ caller: 'bot', tokens: 0 });
  });
});

describe('LoopDetector', () => {
  const messages = [{ role: 'user', content: 'do the thing again' }];

  it('refuses the same caller repeating the same messages more than maxRepeats times', async () => {
    const loop = new LoopDetector(limitsOf({ loop: { maxRepeats: 2, windowSeconds: 60 } }).loop);
    await loop.check({ caller: 'agent', messages });
    await loop.check({ caller: 'agent', messages });
    const err = await refusal(loop.check({ caller: 'agent', messages }));
    assert.equal(err.code, 'loop_detected');
    assert.match(err.message, /caller agent sent the same messages more than 2 times in 60s/);
    assert.ok(Number(meta(err).headers['retry-after']) > 0);
    await loop.check({ caller: 'other', messages }); // another caller
    await loop.check({ caller: 'agent', messages: [{ role: 'user', content: 'something new' }] }); // another prompt
  });

  it('is off without config, and hashes by content', async () => {
    const loop = new LoopDetector(undefined);
    for (let i = 0; i < 20; i++) await loop.check({ caller: 'agent', messages });
    assert.equal(promptHash(messages), promptHash(JSON.parse(JSON.stringify(messages))));
    assert.notEqual(promptHash(messages), promptHash([{ role: 'user', content: 'do the thing' }]));
  });
});
