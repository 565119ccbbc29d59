/**
 * Live streaming across processes through a real Redis: front doors that run no worker
 * (`worker: false`) and workers that serve no HTTP (`http: false`, or a separate OS process) on one
 * task queue. The provider's pace is the test's (a gated provider): every claim is about the order
 * things happen in, never about time. Skipped when redis-server is not installed.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RelaySeal } from '../../src/streaming/relayMessage';
import { EncryptionCodec } from '../../src/temporal/codec';
import { freePort } from '../../src/temporal/devServer';
import { recorded } from '../helpers/failures';
import { KEYS, auth, hello, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway';
import { startGatedProvider, type GatedProvider } from '../helpers/gatedProvider';
import { drain, openStream } from '../helpers/liveStream';
import { spawnGateway, waitFor, type GatewayProcess } from '../helpers/process';
import { streamChat } from '../helpers/sse';
import { localActivityTypes } from '../helpers/history';

const hasRedis = !spawnSync('redis-server', ['--version']).error;
const skip = hasRedis ? false : 'redis-server is not on PATH; skipping the cross-process streaming test';

/** Answers of the gated provider, per request in arrival order (the test knows which request is which). */
const SCRIPT: string[][] = [
  ['First', ' second', ' third'], // 0: first token before the provider finished
  ['Local', ' step', ' first'], // 1: the same on a route that calls locally (the try made with admission)
  ['Alpha', ' beta', ' gamma'], // 2: the owner's stream (a rejoin watches)
  ['Bye', ' never', ' sent'], // 3: the caller hangs up
  ['Doomed', ' half'], // 4: its worker is killed after the first word
  ['Second', ' answer'], // 5: the retry on another worker
  ['Gap', ' one', ' two'], // 6: a message is lost on the way
  ['Down', ' but', ' whole'], // 7: Redis is gone
];

function config(gatedUrl: string) {
  return (mockUrl: string) => {
    const base = testConfig(mockUrl) as Record<string, any>;
    base.providers.gated = { kind: 'openai-compatible', baseUrl: gatedUrl };
    base.models.gated = { provider: 'gated', upstream: 'gated-model' };
    base.models.cont = { provider: 'mock', upstream: 'mock-cont', prefill: true };
    base.callers.support.tasks = ['chat', 'live', 'livelocal', 'cont'];
    base.callers.analyst.tasks = ['summarize', 'live'];
    base.routes = [
      { name: 'live', match: { task: 'live' }, primary: 'gated', timeout: '60s', retries: 0 },
      { name: 'livelocal', match: { task: 'livelocal' }, primary: 'gated', timeout: '60s', retries: 0, providerCall: 'local' },
      { name: 'cont', match: { task: 'cont' }, primary: 'cont', timeout: '10s', retries: 1 },
      ...base.routes,
    ];
    return base;
  };
}

describe('live streaming across processes (Redis relay)', { skip }, () => {
  let redis: ChildProcess | undefined;
  let gated: GatedProvider;
  let front: TestGateway;
  let worker: TestGateway;
  const cleanup: Array<() => Promise<unknown>> = [];
  const shared: NodeJS.ProcessEnv = {};
  const as = (task: string, key = KEYS.support) => ({ ...auth(key), 'x-gatehouse-task': task });

  before(async () => {
    const port = await freePort();
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => redis!.stdout!.on('data', (d: Buffer) => d.toString().includes('Ready to accept') && resolve()));
    gated = await startGatedProvider((i) => SCRIPT[i] ?? ['Unscripted']);
    // Every gateway process shares the codec key and the credential key pair, as in production.
    const credentialKey = Buffer.from(generateKeyPairSync('x25519').privateKey.export({ format: 'jwk' }).d!, 'base64url').toString('base64');
    Object.assign(shared, { REDIS_URL: `redis://127.0.0.1:${port}`, GATEHOUSE_CODEC_KEY: randomBytes(32).toString('base64'), GATEHOUSE_CREDENTIAL_KEY: credentialKey });
    front = await startTestGateway({ worker: false, config: config(gated.url), env: shared });
    worker = await startTestGateway({ http: false, taskQueue: front.taskQueue, mock: front.mock, config: config(gated.url), env: shared });
  });

  after(async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => {});
    await worker?.close();
    await front?.close();
    await gated?.close();
    redis?.kill('SIGTERM');
  });

  it('the first token reaches the caller through a front door with no worker while the rest is still unsent', { timeout: 60_000 }, async () => {
    const stream = await openStream(front.url, hello('live please'), as('live'));
    assert.equal(stream.status, 200);
    assert.equal(await stream.nextContent(), 'First');
    // The provider has sent one word and holds the rest until we say so: this chunk was live.
    assert.equal(gated.sent(), 1);
    assert.equal(gated.finished(), 0, 'the provider call is still running');
    gated.release(2);
    const end = await drain(stream);
    assert.equal(end.text, 'First second third');
    assert.equal(end.done, true);
    assert.equal(end.contentEvents, 3, 'chunk by chunk to the end, not a replay');
  });

  it('on a route that calls locally, the first try made with admission in the worker process streams live through the relay', { timeout: 60_000 }, async () => {
    const finished = gated.finished();
    const stream = await openStream(front.url, hello('local please'), as('livelocal'));
    assert.equal(stream.status, 200);
    assert.equal(await stream.nextContent(), 'Local');
    assert.equal(gated.finished(), finished, 'the provider call is still running');
    gated.release(2);
    const end = await drain(stream);
    assert.equal(end.text, 'Local step first');
    assert.equal(end.contentEvents, 3, 'chunk by chunk to the end, not a replay');
    assert.deepEqual(await localActivityTypes(front.client, stream.headers.get('x-gatehouse-request-id')!), ['prepareRequest']);
  });

  it('only the caller who started a request gets its chunks: a repeat of its key gets the stored answer, another caller its own request', { timeout: 60_000 }, async () => {
    const key = `relay-owner-${Date.now()}`;
    const owner = await openStream(front.url, hello('owner'), { ...as('live'), 'idempotency-key': key });
    assert.equal(await owner.nextContent(), 'Alpha');
    const id = owner.headers.get('x-gatehouse-request-id');
    // The repeat subscribes to the same request's relay channel while the owner streams.
    const repeat = openStream(front.url, hello('owner'), { ...as('live'), 'idempotency-key': key });
    const other = await streamChat(front.url, hello('owner'), { ...as('summarize', KEYS.analyst), 'idempotency-key': key });
    assert.notEqual(other.headers.get('x-gatehouse-request-id'), id, 'the same key is another request for another caller');
    assert.doesNotMatch(other.text, /Alpha|beta/);
    gated.release(2);
    const mine = await drain(owner);
    assert.equal(mine.text, 'Alpha beta gamma');
    assert.equal(mine.contentEvents, 3, 'the owner got every chunk live');
    const replay = await drain(await repeat);
    assert.equal(replay.text, 'Alpha beta gamma');
    assert.equal(replay.done, true);
    assert.equal(replay.contentEvents, 1, 'the stored answer replayed whole, none of the live chunks');
  });

  it('a caller who hangs up stops the try in the worker process: the upstream call is aborted, nothing retried', { timeout: 60_000 }, async () => {
    const requestsBefore = gated.requests();
    const finished = gated.finished();
    const stream = await openStream(front.url, hello('leaving'), as('live'));
    assert.equal(await stream.nextContent(), 'Bye');
    const id = stream.headers.get('x-gatehouse-request-id')!;
    stream.abort();
    await waitFor(() => gated.abandoned() === 1, 20_000, 'the worker aborting its upstream call');
    await waitFor(async () => (await worker.ledger.get(id))?.status === 'cancelled', 20_000, 'the request recorded as cancelled (by the worker)');
    const handle = front.client.workflow.getHandle(id);
    await assert.rejects(handle.result()); // the ledger row is written just before the workflow closes
    assert.equal((await handle.describe()).status.name, 'CANCELLED');
    assert.equal(gated.requests() - requestsBefore, 1, 'no retry, no fallback');
    assert.equal(gated.finished(), finished, 'the abandoned answer never finished');
  });

  it('a stream broken after the caller saw part of it is continued by another try, on the same message', { timeout: 60_000 }, async () => {
    front.mock.queueFaults('mock-cont', ['stream-cut=2', 'none']);
    const seen = await streamChat(front.url, hello('tell me about the weather in the mountains'), as('cont'));
    assert.equal(seen.done, true, JSON.stringify(seen.error));
    assert.equal(seen.text, 'Mock answer to: tell me about the weather in the mountains');
    assert.equal(new Set(seen.events.map((e) => e.id)).size, 1, 'one message');
    const row = await recorded(worker, seen.headers.get('x-gatehouse-request-id')!);
    assert.deepEqual(row.attempts.map((a) => a.adapted ?? 'first'), ['first', 'continuation']);
  });

  it('a try retried after its worker died is never shown: the caller keeps the first try, ended by an error event', { timeout: 120_000 }, async () => {
    // Its own task queue: the try must run in a worker process we can kill.
    const front2 = await startTestGateway({ worker: false, mock: front.mock, config: config(gated.url), env: shared });
    cleanup.push(() => front2.close());
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-relay-worker-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const doomed: GatewayProcess = await spawnGateway({ ...front2.env, GATEHOUSE_ROLE: 'worker', GATEHOUSE_CONFIG: front2.configFile, GATEHOUSE_DATA_DIR: dir });
    cleanup.push(async () => doomed.child.kill('SIGKILL'));

    const stream = await openStream(front2.url, hello('doomed'), as('live'));
    assert.equal(await stream.nextContent(), 'Doomed');
    const id = stream.headers.get('x-gatehouse-request-id')!;
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    gated.release(1); // the retry's second word may go at once (the dead try gave up its place)
    const rescuer = await startTestGateway({ http: false, taskQueue: front2.taskQueue, mock: front.mock, config: config(gated.url), env: shared });
    cleanup.push(() => rescuer.close());

    const end = await drain(stream);
    assert.equal(end.text, 'Doomed', 'nothing after the first try’s word: the retry’s chunks are not spliced on');
    assert.equal(end.done, false, 'no [DONE]: the caller knows its stream is not the answer');
    assert.equal(end.error?.code, 'stream_interrupted');
    const result = (await front2.client.workflow.getHandle(id).result()) as { choices: Array<{ message: { content: string } }> };
    assert.equal(result.choices[0]?.message.content, 'Second answer', 'the stored answer is the retry’s, whole');
  });

  it('a lost relay message is never papered over: the rest of the answer comes from the workflow result', { timeout: 60_000 }, async () => {
    const stream = await openStream(front.url, hello('gap'), as('live'));
    assert.equal(await stream.nextContent(), 'Gap');
    const id = stream.headers.get('x-gatehouse-request-id')!;
    // Take a sequence number as if a message had been published and lost on the way to the front door.
    const names = new RelaySeal(new EncryptionCodec(Buffer.from(shared.GATEHOUSE_CODEC_KEY!, 'base64'), 'env').deriveKey('stream relay')).names(id);
    const raw = new Redis(shared.REDIS_URL!);
    assert.equal(await raw.exists(names.state), 1, 'the request has relay state');
    await raw.hincrby(names.state, 'seq', 1);
    raw.disconnect();
    gated.release(2);
    const end = await drain(stream);
    assert.equal(end.text, 'Gap one two');
    assert.equal(end.done, true);
    assert.deepEqual(stream.events.filter((e) => e?.choices?.[0]?.delta?.content).map((e) => e.choices[0].delta.content), ['Gap', ' one two'], 'the live part, then the rest from the result in one piece');
  });

  it('with Redis gone, a stream is not live but still whole: replayed from the workflow result (run last: it stops Redis)', { timeout: 60_000 }, async () => {
    redis?.kill('SIGKILL');
    await new Promise((resolve) => redis!.once('exit', resolve));
    gated.release(2); // nobody will see the first word early: let the whole answer out
    const seen = await streamChat(front.url, hello('redis down'), as('live'));
    assert.equal(seen.status, 200, JSON.stringify(seen.json));
    assert.equal(seen.text, 'Down but whole');
    assert.equal(seen.done, true);
    assert.equal(seen.events.filter((e) => e.choices?.[0]?.delta?.content).length, 1, 'replayed whole, not live');
  });
});

describe('time to first token: split roles through Redis vs in-process (measured, not asserted)', { skip }, () => {
  it('prints the medians', { timeout: 180_000 }, async (t) => {
    const port = await freePort();
    const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => redis.stdout!.on('data', (d: Buffer) => d.toString().includes('Ready to accept') && resolve()));
    const provider = await startGatedProvider(() => ['Hello', ' there']);
    const credentialKey = Buffer.from(generateKeyPairSync('x25519').privateKey.export({ format: 'jwk' }).d!, 'base64url').toString('base64');
    const env = { REDIS_URL: `redis://127.0.0.1:${port}`, GATEHOUSE_CODEC_KEY: randomBytes(32).toString('base64'), GATEHOUSE_CREDENTIAL_KEY: credentialKey };
    const cfg = config(provider.url);
    const inProcess = await startTestGateway({ config: cfg });
    const combined = await startTestGateway({ config: cfg, env });
    const front = await startTestGateway({ worker: false, config: cfg, env });
    const worker = await startTestGateway({ http: false, taskQueue: front.taskQueue, mock: front.mock, config: cfg, env });
    try {
      /** Median ms from the request to its first token, and from the provider writing it to the caller reading it. */
      const measure = async (url: string) => {
        const total: number[] = [];
        const forward: number[] = [];
        for (let i = 0; i < 15; i++) {
          const sentAt = performance.now();
          const stream = await openStream(url, hello(`measure ${i}`), { ...auth(KEYS.support), 'x-gatehouse-task': 'live' });
          assert.equal(await stream.nextContent(), 'Hello');
          const readAt = performance.now();
          provider.release(1);
          assert.equal((await drain(stream)).done, true);
          if (i < 3) continue; // the first few warm up connections and caches
          total.push(readAt - sentAt);
          forward.push(readAt - provider.firstWordAt.at(-1)!);
        }
        const median = (xs: number[]) => Math.round(xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]! * 10) / 10;
        return `${median(total)} ms (provider → caller ${median(forward)} ms)`;
      };
      const lines = [
        `in-process, no Redis: ${await measure(inProcess.url)}`,
        `one process through the Redis relay: ${await measure(combined.url)}`,
        `front door without worker + worker process via Redis: ${await measure(front.url)}`,
      ];
      for (const line of lines) {
        t.diagnostic(`time to first token, median of 12: ${line}`);
        console.log(`# time to first token, median of 12: ${line}`);
      }
    } finally {
      await worker.close();
      await front.close();
      await combined.close();
      await inProcess.close();
      await provider.close();
      redis.kill('SIGTERM');
    }
  });
});
