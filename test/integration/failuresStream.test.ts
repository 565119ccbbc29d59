import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway';
import { ask, failureConfig, recorded } from '../helpers/failures';

/**
 * Misbehaving streams: slow first token, stalls and cuts before and after the caller saw a chunk,
 * garbage chunks, a missing [DONE], deadlines. The rule: before anything reached the caller, fail
 * over and deliver a whole answer; after, an error event and never [DONE]. A few malformed chunks
 * among valid ones are skipped (unless the route is `strictStreams`); a stream of garbage fails over.
 */
const quick = { headers: '1s', firstToken: '400ms', idle: '400ms', total: '3s' };
const config = failureConfig(
  {
    lateToken: 'mock-late-token+first-token=1500',
    okToken: 'mock-ok-token+first-token=150',
    stall0: 'mock-stall-0+stream-stall=0',
    stall2: 'mock-stall-2+stream-stall=2',
    cut0: 'mock-cut-0+stream-cut=0',
    cut2: 'mock-cut-2+stream-cut=2',
    junk0: 'mock-junk-0+malformed-chunk=0',
    junk2: 'mock-junk-2+malformed-chunk=2',
    junk0s: 'mock-junk-0s+malformed-chunk=0',
    junk2s: 'mock-junk-2s+malformed-chunk=2',
    nodone: 'mock-no-done+no-done',
    steady: 'mock-steady+chunk-delay=250',
    slowbody: 'mock-slow-body+latency=2000',
    garbage: 'mock-garbage+malformed',
    garbageStream: 'mock-garbage-stream+garbage-stream',
  },
  [
    { name: 'lateToken', primary: 'lateToken', fallbacks: ['backup'], deadlines: quick },
    { name: 'okToken', primary: 'okToken', fallbacks: ['backup'], deadlines: quick },
    { name: 'stall0', primary: 'stall0', fallbacks: ['backup'], retries: 0, deadlines: quick },
    { name: 'stall2', primary: 'stall2', fallbacks: ['backup'], retries: 2, deadlines: quick },
    { name: 'cut0', primary: 'cut0', fallbacks: ['backup'], retries: 0, deadlines: quick },
    { name: 'cut2', primary: 'cut2', fallbacks: ['backup'], retries: 2, deadlines: quick },
    { name: 'junk0', primary: 'junk0', fallbacks: ['backup'], retries: 0, deadlines: quick },
    { name: 'junk2', primary: 'junk2', fallbacks: ['backup'], retries: 2, deadlines: quick },
    { name: 'junk0strict', primary: 'junk0s', fallbacks: ['backup'], retries: 0, deadlines: quick, strictStreams: true },
    { name: 'junk2strict', primary: 'junk2s', fallbacks: ['backup'], retries: 2, deadlines: quick, strictStreams: true },
    { name: 'garbageStream', primary: 'garbageStream', fallbacks: ['backup'], retries: 0, deadlines: quick },
    { name: 'nodone', primary: 'nodone', deadlines: quick },
    { name: 'steady', primary: 'steady', fallbacks: ['backup'], deadlines: { idle: '1s', total: '700ms' } },
    { name: 'slowbody', primary: 'slowbody', fallbacks: ['backup'], deadlines: { total: '700ms' } },
    { name: 'garbage', primary: 'garbage', fallbacks: ['backup'], retries: 0 },
  ],
);

const LONG = { model: 'auto', messages: [{ role: 'user', content: 'tell me about the weather in the mountains today' }] };
const WHOLE = 'Mock answer to: tell me about the weather in the mountains today';

describe('misbehaving streams (the before/after-first-chunk rule)', () => {
  let gw: TestGateway;
  const calls = (m: string) => gw.mock.calls(m);
  before(async () => {
    gw = await startTestGateway({ config });
  });
  after(() => gw?.close());

  /** The caller got the whole answer from the fallback, properly ended. */
  const wholeFromBackup = (seen: Awaited<ReturnType<typeof ask>>) => {
    assert.equal(seen.status, 200, JSON.stringify(seen));
    assert.equal(seen.streamError, false, 'no error event');
    assert.equal(seen.done, true);
    assert.equal(seen.model, 'backup');
    assert.equal(seen.text, WHOLE);
  };

  /** The caller saw part of an answer: it must end in an error event, never [DONE]. */
  const interrupted = async (seen: Awaited<ReturnType<typeof ask>>, primaryUpstream: string) => {
    assert.equal(seen.status, 200);
    assert.equal(seen.done, false, 'a broken stream never ends with [DONE]');
    assert.equal(seen.streamError, true);
    assert.equal(seen.code, 'stream_interrupted');
    assert.ok(seen.text && seen.text.length > 0 && WHOLE.startsWith(seen.text) && seen.text !== WHOLE, `partial text "${seen.text}"`);
    const row = await recorded(gw, seen.requestId);
    assert.equal(row.status, 'failed');
    assert.equal(row.error_code, 'stream_interrupted');
    assert.deepEqual(row.attempts.map((a) => a.error), ['StreamInterrupted'], 'one try: nothing retried or failed over after the caller saw chunks');
    assert.equal(calls(primaryUpstream), 1);
  };

  it('first token later than the route allows: fails over, the fallback answers', async () => {
    const seen = await ask(gw, 'lateToken', 'stream', LONG);
    wholeFromBackup(seen);
    assert.ok(seen.ms < 1500, `took ${seen.ms} ms`);
    const [first] = (await recorded(gw, seen.requestId)).attempts;
    assert.match(first?.message ?? '', /no first token within 400 ms/);
    assert.equal(calls('mock-late-token+first-token=1500'), 1, 'not retried');
  });

  it('first token within the limit: answers', async () => {
    const seen = await ask(gw, 'okToken', 'stream', LONG);
    assert.equal(seen.done, true);
    assert.equal(seen.model, 'okToken');
    assert.equal(seen.text, WHOLE);
  });

  it('stalled before any content reached the caller: cut at the idle deadline, whole answer from the fallback', async () => {
    wholeFromBackup(await ask(gw, 'stall0', 'stream', LONG));
  });

  it('stalled mid-answer after chunks reached the caller: error event, no [DONE]', async () => {
    await interrupted(await ask(gw, 'stall2', 'stream', LONG), 'mock-stall-2+stream-stall=2');
  });

  it('cut before any content reached the caller: whole answer from the fallback', async () => {
    wholeFromBackup(await ask(gw, 'cut0', 'stream', LONG));
  });

  it('cut mid-answer: error event, no [DONE]; the gateway stays healthy', async () => {
    await interrupted(await ask(gw, 'cut2', 'stream', LONG), 'mock-cut-2+stream-cut=2');
    const next = await ask(gw, 'okToken', 'stream', LONG);
    assert.equal(next.done, true);
    assert.equal(next.text, WHOLE);
  });

  /** One malformed chunk skipped: the primary's whole answer, the skip on its attempt and in the ledger's warnings. */
  const skippedOne = async (seen: Awaited<ReturnType<typeof ask>>, route: string, upstream: string) => {
    assert.equal(seen.status, 200, JSON.stringify(seen));
    assert.equal(seen.streamError, false, 'no error event');
    assert.equal(seen.done, true);
    assert.equal(seen.model, route);
    assert.equal(seen.text, WHOLE);
    const row = await recorded(gw, seen.requestId);
    assert.equal(row.status, 'completed');
    assert.deepEqual(row.attempts.map((a) => [a.model, a.outcome, (a as { skippedChunks?: number }).skippedChunks]), [[route, 'ok', 1]]);
    assert.deepEqual(JSON.parse(row.warnings ?? '[]'), ['provider mock: 1 malformed stream chunk skipped']);
    assert.equal(calls(upstream), 1, 'answered by the one try');
  };

  it('a malformed chunk before any content: skipped and counted, the same model answers whole', async () => {
    // ask() parses every event as JSON: a garbled one would fail right there.
    await skippedOne(await ask(gw, 'junk0', 'stream', LONG), 'junk0', 'mock-junk-0+malformed-chunk=0');
  });

  it('a malformed chunk mid-answer: skipped and counted, the caller gets the whole answer with [DONE]', async () => {
    await skippedOne(await ask(gw, 'junk2', 'stream', LONG), 'junk2', 'mock-junk-2+malformed-chunk=2');
  });

  it('strictStreams: a malformed chunk before any content fails over, as before', async () => {
    wholeFromBackup(await ask(gw, 'junk0strict', 'stream', LONG));
  });

  it('strictStreams: a malformed chunk mid-answer: only valid chunks were sent, then an error event', async () => {
    await interrupted(await ask(gw, 'junk2strict', 'stream', LONG), 'mock-junk-2s+malformed-chunk=2');
  });

  it('a stream of nothing but garbage still fails over: the fallback answers whole', async () => {
    const seen = await ask(gw, 'garbageStream', 'stream', LONG);
    wholeFromBackup(seen);
    assert.equal((await recorded(gw, seen.requestId)).attempts[0]?.error, 'ProviderMalformedResponse');
  });

  it('a stream without [DONE] but complete at the HTTP level: finishes promptly, with usage', async () => {
    const seen = await ask(gw, 'nodone', 'stream', LONG);
    assert.equal(seen.done, true);
    assert.equal(seen.text, WHOLE);
    assert.ok((seen.usage?.total_tokens ?? 0) > 0, 'usage chunk');
    assert.ok(seen.ms < 1000, `took ${seen.ms} ms`);
    assert.equal((await recorded(gw, seen.requestId)).total_tokens, seen.usage?.total_tokens);
  });

  it('a steady stream past the total deadline is cut (error event once chunks were shown)', async () => {
    const seen = await ask(gw, 'steady', 'stream', LONG);
    assert.equal(seen.done, false);
    assert.equal(seen.code, 'stream_interrupted');
    assert.match((await recorded(gw, seen.requestId)).attempts[0]?.message ?? '', /total deadline of 700 ms/);
  });

  it('plain request: a body slower than the total deadline fails over at once', async () => {
    const seen = await ask(gw, 'slowbody', 'json', LONG);
    assert.equal(seen.status, 200);
    assert.equal(seen.model, 'backup');
    assert.ok(seen.ms < 1800, `took ${seen.ms} ms`);
  });

  it('plain request: a malformed body fails over; the caller gets a whole answer', async () => {
    const seen = await ask(gw, 'garbage', 'json', LONG);
    assert.equal(seen.status, 200);
    assert.equal(seen.model, 'backup');
    assert.equal(seen.text, WHOLE);
    assert.equal((await recorded(gw, seen.requestId)).attempts[0]?.error, 'ProviderMalformedResponse');
  });
});
