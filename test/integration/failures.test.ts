import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hello, startTestGateway, type TestGateway } from '../helpers/gateway';
import { MODES, ask, failureConfig, recorded } from '../helpers/failures';

/**
 * How the gateway behaves when the provider misbehaves at the HTTP level, for plain and streamed
 * requests alike (mock provider faults by model name or queued per call).
 */
const config = failureConfig(
  {
    w429: 'mock-429-wait',
    l429: 'mock-429-long',
    b429: 'mock-429-bare+status=429',
    d429: 'mock-429-dead+status=429',
    once5xx: 'mock-5xx-once',
    dead5xx: 'mock-5xx-dead+status=500',
    flakynet: 'mock-reset-once',
    silent: 'mock-silent+timeout',
    short: 'mock-short+status=400:context_length_exceeded',
    shortonly: 'mock-short-only+status=400:context_length_exceeded',
    roomy: 'mock-roomy',
    refuses: 'mock-policy+status=400:content_policy_violation',
    down: 'mock-prefill-primary+status=500',
    noprefill: 'mock-no-prefill+reject-prefill',
    noprefill2: 'mock-no-prefill-2',
  },
  [
    { name: 'wait429', primary: 'w429', fallbacks: ['backup'] },
    { name: 'long429', primary: 'l429', fallbacks: ['backup'], maxRetryWait: '2s' },
    { name: 'bare429', primary: 'b429', fallbacks: ['backup'], retries: 2 },
    { name: 'dead429', primary: 'd429', retries: 1 },
    { name: 'once5xx', primary: 'once5xx', fallbacks: ['backup'] },
    { name: 'dead5xx', primary: 'dead5xx', retries: 1 },
    { name: 'reset', primary: 'flakynet', fallbacks: ['backup'] },
    { name: 'silent', primary: 'silent', fallbacks: ['backup'], retries: 2, deadlines: { headers: '500ms', total: '1500ms' } },
    { name: 'context', primary: 'short', retries: 2, largerRoute: 'long' },
    { name: 'long', primary: 'roomy' },
    { name: 'contextonly', primary: 'shortonly', fallbacks: [], retries: 2 },
    { name: 'policy', primary: 'refuses', fallbacks: ['backup'], retries: 2 },
    { name: 'prefill', primary: 'down', fallbacks: ['noprefill'], retries: 0 },
    { name: 'prefilldead', primary: 'down', fallbacks: ['noprefill2'], retries: 0 },
  ],
);

const prefilled = { model: 'auto', messages: [{ role: 'user', content: 'Write a haiku' }, { role: 'assistant', content: 'Autumn' }] };

describe('provider failures at the HTTP level (plain and streamed)', () => {
  let gw: TestGateway;
  const calls = (model: string) => gw.mock.calls(model);
  before(async () => {
    gw = await startTestGateway({ config });
  });
  after(() => gw?.close());

  for (const mode of MODES) {
    describe(`${mode} requests`, () => {
      it('429 with Retry-After: waits that long, retries the same model, answers from it', async () => {
        gw.mock.queueFaults('mock-429-wait', ['status=429,retry-after=1']);
        const before = calls('mock-429-wait');
        const seen = await ask(gw, 'wait429', mode);
        assert.equal(seen.status, 200, JSON.stringify(seen));
        assert.equal(seen.model, 'w429');
        assert.ok(seen.ms >= 1000, `answered after ${seen.ms} ms: the Retry-After was not waited out`);
        assert.equal(calls('mock-429-wait') - before, 2);
        const row = await recorded(gw, seen.requestId);
        assert.deepEqual(row.attempts.map((a) => [a.model, a.outcome, a.error, a.retryInMs]), [
          ['w429', 'failed', 'ProviderRateLimited', 1000],
          ['w429', 'ok', undefined, undefined],
        ]);
      });

      it('429 with a Retry-After over the route budget: fails over at once, no wait', async () => {
        gw.mock.queueFaults('mock-429-long', ['status=429,retry-after=30']);
        const before = calls('mock-429-long');
        const seen = await ask(gw, 'long429', mode);
        assert.equal(seen.status, 200, JSON.stringify(seen));
        assert.equal(seen.model, 'backup');
        assert.ok(seen.ms < 2000, `took ${seen.ms} ms`);
        assert.equal(calls('mock-429-long') - before, 1);
      });

      it('429 without Retry-After: bounded retries with growing, jittered backoff, then the fallback answers', async () => {
        const before = calls('mock-429-bare+status=429');
        const seen = await ask(gw, 'bare429', mode);
        assert.equal(seen.status, 200, JSON.stringify(seen));
        assert.equal(seen.model, 'backup');
        assert.equal(calls('mock-429-bare+status=429') - before, 3, 'one try + route retries, never a tight loop');
        const waits = (await recorded(gw, seen.requestId)).attempts.filter((a) => a.retryInMs !== undefined).map((a) => a.retryInMs!);
        assert.equal(waits.length, 2);
        assert.ok(waits[0]! >= 500 && waits[0]! <= 1500, `first wait ${waits[0]}`);
        assert.ok(waits[1]! >= 1000 && waits[1]! <= 3000, `second wait ${waits[1]}`);
        assert.ok(seen.ms >= waits[0]! + waits[1]!);
      });

      it('429 everywhere: fails cleanly with the provider error, not a generic one', async () => {
        const seen = await ask(gw, 'dead429', mode);
        assert.equal(seen.status, 502);
        assert.equal(seen.code, 'provider_error');
        assert.match(seen.message!, /First error: d429: .*HTTP 429/);
      });

      it('5xx once: retries the same model and answers from it', async () => {
        gw.mock.queueFaults('mock-5xx-once', ['status=503']);
        const before = calls('mock-5xx-once');
        const seen = await ask(gw, 'once5xx', mode);
        assert.equal(seen.status, 200, JSON.stringify(seen));
        assert.equal(seen.model, 'once5xx');
        assert.equal(calls('mock-5xx-once') - before, 2);
      });

      it('5xx persistent with nowhere to go: bounded tries, then the original provider error', async () => {
        const before = calls('mock-5xx-dead+status=500');
        const seen = await ask(gw, 'dead5xx', mode);
        assert.equal(seen.status, 502);
        assert.equal(seen.code, 'provider_error');
        assert.match(seen.message!, /First error: dead5xx: Mock injected fault: HTTP 500 \(HTTP 500\)/);
        assert.equal(calls('mock-5xx-dead+status=500') - before, 2);
        const row = await recorded(gw, seen.requestId);
        assert.equal(row.status, 'failed');
        assert.deepEqual(row.attempts.map((a) => [a.outcome, a.status, a.try]), [['failed', 500, 1], ['failed', 500, 2]]);
      });

      it('connection reset before headers: retried, the caller gets an answer', async () => {
        gw.mock.queueFaults('mock-reset-once', ['reset']);
        const seen = await ask(gw, 'reset', mode);
        assert.equal(seen.status, 200, JSON.stringify(seen));
        assert.equal(seen.model, 'flakynet');
        assert.equal((await recorded(gw, seen.requestId)).attempts[0]?.error, 'ProviderConnectionError');
      });

      it('a provider that accepts and never answers is cut at the deadline and fails over at once', async () => {
        const before = calls('mock-silent+timeout');
        const seen = await ask(gw, 'silent', mode);
        assert.equal(seen.status, 200, JSON.stringify(seen));
        assert.equal(seen.model, 'backup');
        // Streamed: the 500 ms headers deadline; plain: the 1.5 s total (the answer comes with the headers).
        assert.ok(seen.ms < (mode === 'stream' ? 1400 : 2400), `took ${seen.ms} ms`);
        assert.equal(calls('mock-silent+timeout') - before, 1, 'a silent provider is not retried');
        const [first] = (await recorded(gw, seen.requestId)).attempts;
        assert.equal(first?.error, 'ProviderTimeout');
        assert.match(first?.message ?? '', mode === 'stream' ? /no response headers within 500 ms/ : /total deadline of 1500 ms/);
      });

      it('context_length_exceeded: never retried on that model; the larger route answers', async () => {
        const before = calls('mock-short+status=400:context_length_exceeded');
        const seen = await ask(gw, 'context', mode);
        assert.equal(seen.status, 200, JSON.stringify(seen));
        assert.equal(seen.model, 'roomy');
        assert.equal(calls('mock-short+status=400:context_length_exceeded') - before, 1);
        const row = await recorded(gw, seen.requestId);
        assert.equal(row.model, 'roomy');
        assert.deepEqual(row.attempts.map((a) => [a.model, a.error]), [['short', 'ContextLengthExceeded'], ['roomy', undefined]]);
      });

      it('context_length_exceeded with no larger route: a clean 400 with the provider reason', async () => {
        const before = calls('mock-short-only+status=400:context_length_exceeded');
        const seen = await ask(gw, 'contextonly', mode);
        assert.equal(seen.status, 400);
        assert.equal(seen.code, 'context_length_exceeded');
        assert.match(seen.message!, /maximum context length is 8192 tokens/);
        assert.equal(calls('mock-short-only+status=400:context_length_exceeded') - before, 1);
      });

      it('content-policy refusal: no retry, no fallback, the provider reason', async () => {
        const before = { p: calls('mock-policy+status=400:content_policy_violation'), b: calls('mock-backup') };
        const seen = await ask(gw, 'policy', mode);
        assert.equal(seen.status, 400);
        assert.equal(seen.code, 'content_policy_violation');
        assert.match(seen.message!, /rejected as a result of our safety system/);
        assert.equal(calls('mock-policy+status=400:content_policy_violation') - before.p, 1);
        assert.equal(calls('mock-backup') - before.b, 0);
      });

      it('a fallback that refuses the prefill: the request restarts cleanly on it without the prefill', async () => {
        const seen = await ask(gw, 'prefill', mode, prefilled);
        assert.equal(seen.status, 200, JSON.stringify(seen));
        assert.equal(seen.model, 'noprefill');
        assert.equal(seen.text, 'Mock answer to: Write a haiku');
        const row = await recorded(gw, seen.requestId);
        assert.deepEqual(row.attempts.map((a) => [a.model, a.outcome, a.error, a.adapted]), [
          ['down', 'failed', 'ProviderServerError', undefined],
          ['noprefill', 'failed', 'UnsupportedRequestShape', undefined],
          ['noprefill', 'ok', undefined, 'without_prefill'],
        ]);
      });

      it('when the fallback fails too, the caller sees the real failure, never the fallback shape error', async () => {
        gw.mock.queueFaults('mock-no-prefill-2', ['reject-prefill', 'status=503']);
        const seen = await ask(gw, 'prefilldead', mode, prefilled);
        assert.equal(seen.status, 502);
        assert.match(seen.message!, /First error: down: Mock injected fault: HTTP 500/);
        assert.doesNotMatch(seen.message!, /prefill/);
      });
    });
  }

  it('accounting: the model that answered, its usage, failed tries recorded but never billed', async () => {
    gw.mock.queueFaults('mock-5xx-once', ['status=500']);
    const seen = await ask(gw, 'once5xx', 'json', hello('Count me'));
    const row = await recorded(gw, seen.requestId);
    assert.equal(row.model, 'once5xx');
    assert.equal(row.total_tokens, seen.usage?.total_tokens, 'usage of the answer only, once');
    assert.equal(row.attempts.filter((a) => a.outcome === 'failed').length, 1);
    assert.equal(row.attempts.filter((a) => a.outcome === 'ok').length, 1);
  });
});
