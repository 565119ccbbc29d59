import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfigText } from '../../src/config';
import { GatewayError } from '../../src/errors';
import {
  QUEUE_TIMEOUT_ROW,
  parseQueuePreference,
  queueReason,
  queueSettings,
  queueTimeout,
  queueWakeMs,
  taskMayQueue,
} from '../../src/queue/decide';

const config = (route: string) => `
providers:
  local: { kind: mock }
models:
  small: { provider: local, upstream: mock-small }
callers:
  bot: { team: t1, tasks: [chat], keyHash: "sha256:${'a'.repeat(64)}" }
routes:
  - { name: chat, match: { task: chat }, primary: small${route} }
`;

const failed = (error: string) => ({ model: 'm', outcome: 'failed', error });

describe('queue: route config', () => {
  it('a route without `queue` loads as before (no waiting)', () => {
    assert.equal(parseConfigText(config('')).routes[0]?.queue, undefined);
  });

  it('`queue: { maxWait }` defaults holdSync to 10s', () => {
    assert.deepEqual(parseConfigText(config(', queue: { maxWait: 5m }')).routes[0]?.queue, { maxWait: '5m', holdSync: '10s' });
  });

  it('a queue without maxWait, with a bad duration or an unknown key is refused', () => {
    for (const bad of [', queue: {}', ', queue: { maxWait: soon }', ', queue: { maxWait: 1m, hold: 1s }']) {
      assert.throws(() => parseConfigText(config(bad)), ConfigError, bad);
    }
  });
});

describe('queue: which failures wait (queueReason)', () => {
  it('a plan emptied by open breakers or the kill switch waits', () => {
    assert.equal(queueReason({ code: 'no_available_model', message: 'route "chat" has no model for this request (small: circuit open)' }, []), 'breakers_open');
    assert.equal(queueReason({ code: 'route_disabled', message: 'route "chat" is disabled: incident' }, []), 'route_disabled');
  });

  it('a plan empty for other reasons (not allowed, batch only) does not wait', () => {
    assert.equal(queueReason({ code: 'no_available_model', message: 'route "chat" has no model for this request (small: batch only)' }, []), undefined);
    assert.equal(queueReason({ code: 'no_model_for_data_class', message: 'x' }, []), undefined);
  });

  it('every try failing with an availability failure waits: outage, rate limits, kill switch in flight', () => {
    const e = { code: 'provider_error', message: 'All models failed' };
    assert.equal(queueReason(e, [failed('ProviderServerError'), failed('ProviderConnectionError'), failed('ProviderTimeout')]), 'provider_outage');
    assert.equal(queueReason(e, [failed('ProviderRateLimited'), failed('ProviderRateLimited')]), 'rate_limited');
    assert.equal(queueReason({ code: 'route_disabled', message: 'x' }, [failed('ModelDisabled'), failed('RouteDisabled')]), 'route_disabled');
    assert.equal(queueReason({ code: 'provider_timeout', message: 'x' }, [failed('ProviderTimeout')]), 'provider_outage');
  });

  it('a prefill refusal among the tries does not change the reason', () => {
    assert.equal(queueReason({ code: 'provider_error', message: 'x' }, [failed('UnsupportedRequestShape'), failed('ProviderServerError')]), 'provider_outage');
  });

  it('a failure waiting cannot cure ends the request as today', () => {
    assert.equal(queueReason({ code: 'provider_error', message: 'x' }, [failed('ProviderServerError'), failed('ProviderAuthError')]), undefined);
    assert.equal(queueReason({ code: 'provider_error', message: 'x' }, [failed('WorkerLost')]), undefined);
    assert.equal(queueReason({ code: 'context_length_exceeded', message: 'x' }, [failed('ContextLengthExceeded')]), undefined);
    assert.equal(queueReason({ code: 'output_validation_failed', message: 'x' }, [failed('OutputValidationFailed')]), undefined);
    assert.equal(queueReason({ code: 'stream_interrupted', message: 'x' }, [failed('StreamInterrupted')]), undefined);
    assert.equal(queueReason({ code: 'provider_error', message: 'x' }, []), undefined);
  });
});

describe('queue: timing, settings and the caller preference', () => {
  it('wakes after 1 s, 2 s, 4 s … at most 30 s, never past maxWait', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 40].map((r) => queueWakeMs(r, 60_000)), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    assert.equal(queueWakeMs(3, 2_500), 2_500);
    assert.equal(queueWakeMs(0, -5), 0);
  });

  it('a long maxWait stretches the longest sleep to a hundredth of it: about a hundred rounds at most', () => {
    const day = 86_400_000;
    assert.equal(queueWakeMs(40, day, day), 864_000);
    assert.equal(queueWakeMs(2, day, day), 4_000, 'the first wakes stay quick');
    let rounds = 0;
    for (let left = day; left > 0; rounds++) left -= queueWakeMs(rounds, left, day);
    assert.ok(rounds <= 120, `${rounds} rounds in a day`);
    assert.equal(queueWakeMs(40, 60_000, 60_000), 30_000, 'short queues keep the 30 s cap');
  });

  it('the caller may opt out or shorten maxWait, never lengthen it; holdSync never exceeds maxWait', () => {
    const route = { maxWait: '1m', holdSync: '10s' };
    assert.deepEqual(queueSettings(route, undefined), { maxWaitMs: 60_000, holdSyncMs: 10_000 });
    assert.equal(queueSettings(route, 'off'), undefined);
    assert.equal(queueSettings(undefined, { maxWaitMs: 5_000 }), undefined, 'a route without a queue: no waiting, whatever the caller asks');
    assert.deepEqual(queueSettings(route, { maxWaitMs: 5_000 }), { maxWaitMs: 5_000, holdSyncMs: 5_000 });
    assert.deepEqual(queueSettings(route, { maxWaitMs: 3_600_000 }), { maxWaitMs: 60_000, holdSyncMs: 10_000 });
  });

  it('x-gatehouse-queue: no | <duration>; anything else is a 400', () => {
    assert.equal(parseQueuePreference(undefined), undefined);
    assert.equal(parseQueuePreference(' No '), 'off');
    assert.deepEqual(parseQueuePreference('30s'), { maxWaitMs: 30_000 });
    for (const bad of ['', 'yes', '30', '-1s', '1.5s', 'x'.repeat(5000)]) {
      assert.throws(() => parseQueuePreference(bad), (e: unknown) => e instanceof GatewayError && e.status === 400 && e.code === 'invalid_queue_preference', bad);
    }
  });

  it('only a task with a queued route needs the front door hold check', () => {
    const routes = [{ match: { task: 'chat' }, queue: { maxWait: '1m' } }, { match: { task: 'sum' } }];
    assert.equal(taskMayQueue(routes, 'chat'), true);
    assert.equal(taskMayQueue(routes, 'chat', 'off'), false);
    assert.equal(taskMayQueue(routes, 'sum'), false);
  });
});

describe('queue: QueueTimeout', () => {
  it('is a 503 queue_timeout naming how long it waited and why, with the attempts', () => {
    const err = queueTimeout(5_230, 'breakers_open', 'route "chat" has no model (small: circuit open)', [failed('ProviderServerError')]);
    assert.equal(err.status, 503);
    assert.equal(err.code, 'queue_timeout');
    assert.match(err.message, /^Waited 5\.2s in the queue and no model became available: every model of the route has its circuit breaker open\. Last: route "chat"/);
    assert.deepEqual(err.toBody().gatehouse, { queue: { reason: 'breakers_open', waited_ms: 5_230 }, attempts: [failed('ProviderServerError')] });
    assert.deepEqual(
      [QUEUE_TIMEOUT_ROW.retrySameModel, QUEUE_TIMEOUT_ROW.nextCandidate, QUEUE_TIMEOUT_ROW.feedsBreaker, QUEUE_TIMEOUT_ROW.continuation],
      [false, false, false, false],
    );
  });
});
