/**
 * A caller who hangs up (a half-close, as load generators and proxies do) is never logged as a
 * gateway fault. The server ends such a connection at once, so stopping the gateway does not wait
 * for it; its handler still waits for the workflow's answer, and closing the Temporal connection
 * under that long poll used to reject it as "Native Promise was dropped without being settled",
 * logged at error level as a 500. The order is forced, not timed: the provider answers only after
 * a minute, and the gateway is stopped as soon as the workflow exists.
 *
 * A streamed caller's hang-up cancels its request; a repeat of it (same key and body) is told so
 * with a 409, not a 500 for a cancelled workflow the error mapping did not know.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { KEYS, auth, hello, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway';
import { httpBytes, rawRequest } from '../helpers/fuzz';
import { streamChat } from '../helpers/sse';
import { requestWorkflowId } from '../../src/temporal/requestStarter';

interface Line {
  level: number;
  msg: string;
  code?: string;
  err?: { message?: string };
}

describe('a caller who hung up', () => {
  let gw: TestGateway;
  const logs: Line[] = [];
  before(async () => {
    gw = await startTestGateway({
      logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Line) }),
      config: (u) => {
        const c = testConfig(u) as { callers: { support: { tasks: string[] } }; models: Record<string, { provider: string; upstream: string }>; routes: Record<string, unknown>[] };
        for (const m of Object.values(c.models)) m.upstream += '+latency=60000';
        for (const r of c.routes) Object.assign(r, { timeout: '120s', retries: 0 });
        c.models.trickle = { provider: 'mock', upstream: 'mock-trickle+chunk-delay=400' };
        c.routes.push({ name: 'cancel', match: { task: 'cancel' }, primary: 'trickle', fallbacks: [], timeout: '30s', retries: 0 });
        c.callers.support.tasks.push('cancel');
        return c;
      },
    });
  });
  let stopped = false;
  after(() => (stopped ? undefined : gw?.close()));

  it('a repeat of a streamed request its caller hung up on is a 409 request_cancelled, not a 500', { timeout: 60_000 }, async () => {
    const headers = { ...auth(KEYS.support), 'x-gatehouse-task': 'cancel', 'idempotency-key': 'gone-stream' };
    const first = await streamChat(gw.url, hello('a long answer nobody waits for'), headers, { abortAfterContentChunks: 1 });
    const handle = gw.client.workflow.getHandle(first.headers.get('x-gatehouse-request-id')!);
    await handle.result().catch(() => {}); // the ledger row is written, the workflow closed
    assert.equal((await handle.describe()).status.name, 'CANCELLED');
    const repeat = await streamChat(gw.url, hello('a long answer nobody waits for'), headers);
    assert.equal(repeat.status, 409, JSON.stringify(repeat.json));
    assert.equal(repeat.json.error.code, 'request_cancelled');
    assert.deepEqual(logs.filter((l) => l.level >= 50).map((l) => l.msg), []);
  });

  it('is not logged as a gateway fault when the gateway stops while its request runs', { timeout: 60_000 }, async () => {
    const key = 'gone-plain';
    const body = Buffer.from(JSON.stringify(hello('hang up')));
    const bytes = httpBytes('POST', '/v1/chat/completions', [['authorization', `Bearer ${KEYS.support}`], ['content-type', 'application/json'], ['idempotency-key', key]], body);
    // Half-closed: the whole request is sent, then the client's side ends; it never sees an answer.
    const answer = await rawRequest(Number(new URL(gw.url).port), bytes, true);
    assert.equal(answer.status, undefined, 'the server ends a half-closed connection without an answer');
    const handle = gw.client.workflow.getHandle(requestWorkflowId(KEYS.support, key));
    while ((await handle.describe().catch(() => undefined))?.status.name !== 'RUNNING') await sleep(20);
    stopped = true;
    await gw.close();
    // The handler's wait ends while the gateway stops; its log line is the outcome.
    for (let i = 0; i < 250 && !logs.some((l) => l.msg === 'caller gone before the answer' || l.level >= 50); i++) await sleep(20);
    const faults = logs.filter((l) => l.level >= 50);
    assert.deepEqual(faults.map((l) => `${l.msg}: ${l.err?.message}`), [], 'nothing logged as a gateway fault');
    assert.ok(logs.some((l) => l.msg === 'caller gone before the answer' && l.code === 'gateway_stopping'), 'the hang-up was seen and logged as such');
  });
});
