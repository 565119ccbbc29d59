import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { ConfigError, parseConfigText } from '../../src/config';
import { AttemptWatchdog, deadlinesFromTimeout } from '../../src/providers/deadlines';
import { callSettings } from '../../src/routing/callSettings';
import { classifyUpstreamError } from '../../src/providers/upstreamError';

const d = { headersMs: 100, firstTokenMs: 200, idleMs: 50, totalMs: 1000 };

describe('attempt deadlines', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('cuts a provider that sends no headers at the headers deadline', () => {
    const w = new AttemptWatchdog(d, new AbortController().signal, true);
    mock.timers.tick(99);
    assert.equal(w.signal.aborted, false);
    mock.timers.tick(1);
    assert.equal(w.signal.aborted, true);
    assert.equal(w.expired, 'headers');
    const err = w.error();
    assert.equal(err.kind, 'timeout');
    assert.match(err.message, /no response headers within 100 ms/);
    assert.equal(classifyUpstreamError(err, 10_000).retryable, false, 'a silent provider is not retried');
  });

  it('then the first-token deadline, then the idle deadline between chunks', () => {
    const w = new AttemptWatchdog(d, new AbortController().signal, true);
    mock.timers.tick(90);
    w.headersReceived();
    mock.timers.tick(199);
    w.chunkReceived();
    mock.timers.tick(49);
    w.chunkReceived();
    mock.timers.tick(49);
    assert.equal(w.signal.aborted, false);
    mock.timers.tick(1);
    assert.equal(w.expired, 'idle');
    assert.match(w.error().message, /silent for 50 ms/);
  });

  it('the first token is late: firstToken fires', () => {
    const w = new AttemptWatchdog(d, new AbortController().signal, true);
    w.headersReceived();
    mock.timers.tick(200);
    assert.equal(w.expired, 'firstToken');
  });

  it('a steady stream is still cut at the total deadline', () => {
    const w = new AttemptWatchdog(d, new AbortController().signal, true);
    w.headersReceived();
    for (let t = 0; t < 1000; t += 40) {
      w.chunkReceived();
      mock.timers.tick(40);
    }
    assert.equal(w.expired, 'total');
  });

  it('a non-streamed call only has the total deadline', () => {
    const w = new AttemptWatchdog(d, new AbortController().signal, false);
    mock.timers.tick(999);
    assert.equal(w.signal.aborted, false);
    mock.timers.tick(1);
    assert.equal(w.expired, 'total');
  });

  it('cancellation aborts without a deadline; stop() disarms everything', () => {
    const parent = new AbortController();
    const w = new AttemptWatchdog(d, parent.signal, true);
    parent.abort(new Error('cancelled'));
    assert.equal(w.signal.aborted, true);
    assert.equal(w.expired, undefined);
    const quiet = new AttemptWatchdog(d, new AbortController().signal, true);
    quiet.stop();
    mock.timers.tick(5000);
    assert.equal(quiet.signal.aborted, false);
  });
});

describe('route call settings', () => {
  const parse = (s: string) => Number(s.replace(/ms$/, '').replace(/s$/, '000'));

  it('only `timeout`: it is the total and nothing shorter applies (backward compatible)', () => {
    assert.deepEqual(callSettings({ timeout: '5s' }, parse), { timeoutMs: 5000, deadlines: deadlinesFromTimeout(5000), maxRetryWaitMs: 10_000, localCall: false });
  });

  it('providerCall: local asks for local-activity tries', () => {
    assert.equal(callSettings({ timeout: '5s', providerCall: 'local' }, parse).localCall, true);
  });

  it('`deadlines` set each phase; total wins over timeout; phases never exceed total', () => {
    const s = callSettings({ timeout: '30s', deadlines: { headers: '10s', firstToken: '8s', idle: '90s', total: '60s' }, maxRetryWait: '2s' }, parse);
    assert.deepEqual(s, { timeoutMs: 60_000, deadlines: { headersMs: 10_000, firstTokenMs: 8000, idleMs: 60_000, totalMs: 60_000 }, maxRetryWaitMs: 2000, localCall: false });
  });
});

describe('route deadlines in the config file', () => {
  const file = (route: string) => `
providers: { local: { kind: mock } }
models: { small: { provider: local, upstream: mock-small } }
callers: { bot: { team: t1, tasks: [chat], keyHash: "sha256:${'a'.repeat(64)}" } }
routes:
  - { name: chat, match: { task: chat }, primary: small, ${route} }
`;
  const problems = (text: string): string[] => {
    try {
      parseConfigText(text);
      return [];
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.problems;
    }
  };

  it('accepts deadlines and maxRetryWait; maxRetryWait defaults to 10s', () => {
    const c = parseConfigText(file('deadlines: { headers: 10s, firstToken: 8s, idle: 15s, total: 60s }'));
    assert.deepEqual(c.routes[0]?.deadlines, { headers: '10s', firstToken: '8s', idle: '15s', total: '60s' });
    assert.equal(c.routes[0]?.maxRetryWait, '10s');
  });

  it('rejects a misspelled deadline and a malformed duration, by path', () => {
    assert.deepEqual(problems(file('deadlines: { firstTokn: 8s }')), ['routes.0.deadlines: Unrecognized key: "firstTokn"']);
    assert.match(problems(file('maxRetryWait: soon'))[0] ?? '', /^routes\.0\.maxRetryWait: must be a duration/);
  });
});
