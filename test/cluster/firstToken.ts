/**
 * Time to first token through one gateway URL, on a gated provider (its first word goes at once, the
 * rest only when released): the first word can reach the caller only if it streams live, never from
 * the workflow's result, since the answer is not whole until the test lets it finish.
 */
import assert from 'node:assert/strict';
import { KEYS, auth, hello } from '../helpers/gateway';
import type { GatedProvider } from '../helpers/gatedProvider';
import { drain, openStream } from '../helpers/liveStream';

/** Median ms from sending a streamed request to reading its first token, over `runs` after `warmup` unmeasured ones. */
export async function medianFirstTokenMs(url: string, provider: GatedProvider, runs = 8, warmup = 2): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const sentAt = performance.now();
    const stream = await openStream(url, hello(`first token ${i}`), { ...auth(KEYS.support), 'x-gatehouse-task': 'live' });
    assert.equal(stream.status, 200);
    assert.equal(await stream.nextContent(), 'Hello');
    const readAt = performance.now();
    provider.release(1);
    const end = await drain(stream);
    assert.equal(end.text, 'Hello there');
    assert.equal(end.contentEvents, 2, 'live chunk by chunk, not a replay of the whole answer');
    if (i >= warmup) times.push(readAt - sentAt);
  }
  times.sort((a, b) => a - b);
  const mid = times.length / 2;
  const median = times.length % 2 ? times[Math.floor(mid)]! : (times[mid - 1]! + times[mid]!) / 2;
  return Math.round(median);
}
