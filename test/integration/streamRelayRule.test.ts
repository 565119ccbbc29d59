/**
 * The relay's commit rule, decided in a real Redis, seen from both ends: the registry tests'
 * cases (src/streaming/registry.ts), with the worker's tries and the front door in separate
 * connections. No Temporal here. Skipped when redis-server is not installed.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pino from 'pino';
import type { ChatChunk } from '../../src/streaming/chunks';
import { StreamRegistry } from '../../src/streaming/registry';
import { StreamRelay } from '../../src/streaming/relay';
import type { RelayFeed } from '../../src/streaming/relayFeed';
import { RelaySeal } from '../../src/streaming/relayMessage';
import { freePort } from '../../src/temporal/devServer';
import { waitFor } from '../helpers/process';

const hasRedis = !spawnSync('redis-server', ['--version']).error;
const skip = hasRedis ? false : 'redis-server is not on PATH; skipping the relay rule test';
const role: ChatChunk = { choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] };
const word = (w: string): ChatChunk => ({ choices: [{ index: 0, delta: { content: w } }] });
const logger = pino({ level: 'silent' });

describe('stream relay: the commit rule across processes (real Redis)', { skip }, () => {
  let server: ChildProcess | undefined;
  let url = '';
  const key = randomBytes(32);
  let worker: StreamRelay;
  let frontDoor: StreamRelay;

  before(async () => {
    const port = await freePort();
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => server!.stdout!.on('data', (d: Buffer) => d.toString().includes('Ready to accept') && resolve()));
    url = `redis://127.0.0.1:${port}`;
    worker = new StreamRelay(url, new RelaySeal(key), logger, { listen: false, work: true });
    frontDoor = new StreamRelay(url, new RelaySeal(key), logger, { listen: true });
    assert.equal(await worker.ready(), true);
    assert.equal(await frontDoor.ready(), true);
  });

  after(async () => {
    await worker?.close();
    await frontDoor?.close();
    server?.kill('SIGTERM');
  });

  /** A front door's confirmed caller listening on the relay; `got` is what the caller saw. */
  async function caller(id = `req-${randomUUID()}`) {
    const registry = new StreamRegistry();
    const got: Array<[string, number]> = [];
    const sub = registry.subscribe(id, { chunk: (c, from) => got.push([c.choices[0]?.delta?.content || '<role>', from.attempt]) });
    const feed = (await frontDoor.listen(id, registry, { live: () => sub.live, congested: () => false })) as RelayFeed;
    assert.ok(feed, 'subscribed');
    sub.confirm();
    return { id, sub, got, feed };
  }

  it('holds back a bare role chunk; the first meaningful one commits the try, and the caller gets both in order', async () => {
    const { id, got, sub } = await caller();
    const a = worker.attempt(id, { model: 'small', attempt: 1 }, () => {});
    a.push(role);
    assert.equal(await a.delivered(), false, 'nothing meaningful yet: may fail over unseen');
    a.push(word('Hi'));
    a.push(word(' there'));
    assert.equal(await a.delivered(), true);
    a.finish();
    await waitFor(() => sub.committed?.finished === true, 5000, 'the finish');
    assert.deepEqual(got, [['<role>', 1], ['Hi', 1], [' there', 1]]);
  });

  it('a try nobody listens to never commits (and stops publishing)', async () => {
    const a = worker.attempt(`req-${randomUUID()}`, { model: 'small', attempt: 1 }, () => {});
    a.push(word('Hello?'));
    assert.equal(await a.delivered(), false);
  });

  it('after a commit, a later try (a lost worker’s retry) reaches no one and is told so', async () => {
    const { id, got } = await caller();
    const first = worker.attempt(id, { model: 'small', attempt: 1 }, () => {});
    first.push(word('Part'));
    assert.equal(await first.delivered(), true);
    const second = worker.attempt(id, { model: 'small', attempt: 2 }, () => {});
    second.push(word('Other'));
    assert.equal(await second.delivered(), false);
    await waitFor(() => got.length === 1, 5000, 'the first try’s chunk');
    assert.deepEqual(got, [['Part', 1]]);
  });

  it('an older try cannot commit once a newer one opened (a zombie worker)', async () => {
    const { id } = await caller();
    const zombie = worker.attempt(id, { model: 'small', attempt: 1 }, () => {});
    const retry = worker.attempt(id, { model: 'small', attempt: 1 }, () => {});
    zombie.push(word('Late'));
    retry.push(word('Current'));
    assert.equal(await zombie.delivered(), false);
    assert.equal(await retry.delivered(), true);
  });

  it('a continuation takes over a broken committed try, never a finished one', async () => {
    const { id, got, sub } = await caller();
    const first = worker.attempt(id, { model: 'small', attempt: 1 }, () => {});
    first.push(word('Part'));
    assert.equal(await first.delivered(), true);
    const cont = worker.attempt(id, { model: 'large', attempt: 2, continues: true }, () => {});
    cont.push(word(' rest'));
    assert.equal(await cont.delivered(), true);
    cont.finish();
    await waitFor(() => sub.committed?.finished === true, 5000, 'the continuation’s finish');
    assert.deepEqual(got, [['Part', 1], [' rest', 2]]);
    const late = worker.attempt(id, { model: 'small', attempt: 3, continues: true }, () => {});
    late.push(word('Again'));
    assert.equal(await late.delivered(), false, 'the answer was whole');
  });

  it('the caller hanging up aborts the running try at once, though its upstream is silent, and any try opened after', async () => {
    const { id, got, feed } = await caller();
    let aborted = 0;
    let laterAborted = 0;
    const a = worker.attempt(id, { model: 'small', attempt: 1 }, () => aborted++);
    a.push(word('One'));
    assert.equal(await a.delivered(), true);
    await waitFor(() => got.length === 1, 5000, 'the first chunk');
    feed.hangUp();
    await waitFor(() => aborted === 1, 5000, 'the abort, with no further chunk from upstream');
    a.push(word(' more'));
    worker.attempt(id, { model: 'large', attempt: 2 }, () => laterAborted++);
    await waitFor(() => laterAborted === 1, 5000, 'the later try aborted at its open');
    assert.equal(aborted, 1, 'aborted once');
    assert.deepEqual(got, [['One', 1]]);
  });

  it('a try that ended is forgotten: a hang-up after it touches nothing', async () => {
    const { id, feed } = await caller();
    let aborted = 0;
    const a = worker.attempt(id, { model: 'small', attempt: 1 }, () => aborted++);
    a.push(word('Done'));
    a.finish();
    a.end();
    assert.equal(await a.delivered(), true);
    feed.hangUp();
    // A later try's open is refused: by then the stop notice has passed the ended one by.
    let later = 0;
    worker.attempt(id, { model: 'small', attempt: 2 }, () => later++);
    await waitFor(() => later === 1, 5000, 'the later try refused');
    assert.equal(aborted, 0);
  });

  it('a lost message is a gap: the feed breaks and shows nothing more', async () => {
    const { id, got, feed } = await caller();
    const a = worker.attempt(id, { model: 'small', attempt: 1 }, () => {});
    a.push(word('Seen'));
    assert.equal(await a.delivered(), true);
    // Something publishes out of turn on the channel (as if a message had been lost before it).
    const raw = new Redis(url);
    await raw.hincrby(feed.names.state, 'seq', 1);
    raw.disconnect();
    a.push(word(' unseen'));
    await waitFor(() => feed.broken !== undefined, 5000, 'the gap');
    assert.equal(feed.broken, 'gap');
    assert.deepEqual(got, [['Seen', 1]]);
  });

  it('a message sealed with another key is refused', async () => {
    const { id, got, feed } = await caller();
    const stranger = new StreamRelay(url, new RelaySeal(randomBytes(32)), logger, { listen: false });
    try {
      // The stranger's channel name differs too; publish on ours as if it knew it.
      const a = stranger.attempt(id, { model: 'small', attempt: 1 }, () => {});
      a.push(word('Forged'));
      await a.delivered();
      const raw = new Redis(url);
      await raw.publish(feed.names.channel, Buffer.concat([Buffer.from('1:'), randomBytes(64)]));
      raw.disconnect();
      await waitFor(() => feed.broken !== undefined, 5000, 'the refusal');
      assert.equal(feed.broken, 'unreadable message');
      assert.deepEqual(got, []);
    } finally {
      await stranger.close();
    }
  });
});
