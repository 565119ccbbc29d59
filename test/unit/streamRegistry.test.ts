import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatChunk } from '../../src/streaming/chunks';
import { StreamRegistry } from '../../src/streaming/registry';

const role: ChatChunk = { choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] };
const word = (w: string): ChatChunk => ({ choices: [{ index: 0, delta: { content: w } }] });

function subscriber(reg: StreamRegistry, id = 'req-1') {
  const got: Array<[string, number]> = [];
  const sub = reg.subscribe(id, { chunk: (c, from) => got.push([c.choices[0]?.delta?.content || '<role>', from.attempt]) });
  return { sub, got };
}

describe('streaming side channel (in-process)', () => {
  it('holds back a bare role chunk until something meaningful comes, then commits that attempt', () => {
    const reg = new StreamRegistry();
    const { sub, got } = subscriber(reg);
    const a = reg.open('req-1', { model: 'small', attempt: 1 }, () => {});
    a.push(role);
    assert.deepEqual(got, []);
    assert.equal(a.delivered, false, 'nothing shown yet: a failure here may still fail over unseen');
    a.push(word('Hi'));
    assert.deepEqual(got, [['<role>', 1], ['Hi', 1]]);
    assert.equal(a.delivered, true);
    assert.equal(sub.committed, a);
    a.finish();
    assert.equal(sub.committed?.finished, true);
  });

  it('a failed attempt that showed nothing leaves room for the next one', () => {
    const reg = new StreamRegistry();
    const { sub, got } = subscriber(reg);
    const first = reg.open('req-1', { model: 'small', attempt: 1 }, () => {});
    first.push(role); // then the stream dies
    const second = reg.open('req-1', { model: 'large', attempt: 2 }, () => {});
    second.push(role);
    second.push(word('Whole'));
    assert.deepEqual(got, [['<role>', 2], ['Whole', 2]]);
    assert.equal(sub.committed, second);
  });

  it('after a commit, no later attempt reaches the caller (no spliced answers)', () => {
    const reg = new StreamRegistry();
    const { sub, got } = subscriber(reg);
    const first = reg.open('req-1', { model: 'small', attempt: 1 }, () => {});
    first.push(word('Part'));
    const second = reg.open('req-1', { model: 'small', attempt: 2 }, () => {});
    second.push(word('Other'));
    assert.deepEqual(got, [['Part', 1]]);
    assert.equal(second.delivered, false);
    assert.equal(sub.committed, first);
    assert.equal(sub.committed?.finished, false);
  });

  it('without a subscriber (worker in another process) chunks go nowhere and nothing commits', () => {
    const reg = new StreamRegistry();
    const a = reg.open('req-x', { model: 'small', attempt: 1 }, () => {});
    a.push(word('lost'));
    assert.equal(a.delivered, false);
  });

  it('only the first subscriber is live; a late one replays the final answer', () => {
    const reg = new StreamRegistry();
    const { sub } = subscriber(reg);
    const late = reg.subscribe('req-1', { chunk: () => assert.fail('late subscriber got a live chunk') });
    assert.equal(sub.live, true);
    assert.equal(late.live, false);
    reg.open('req-1', { model: 'small', attempt: 1 }, () => {}).push(word('x'));
    late.close();
    assert.equal(reg.size, 1, 'closing the late one leaves the live one');
    sub.close();
    assert.equal(reg.size, 0);
  });

  it('a caller hanging up aborts the running attempt, not a finished one', () => {
    const reg = new StreamRegistry();
    const { sub } = subscriber(reg);
    let aborted = 0;
    const a = reg.open('req-1', { model: 'small', attempt: 1 }, () => aborted++);
    sub.abortRunning();
    assert.equal(aborted, 1);
    a.finish();
    sub.abortRunning();
    assert.equal(aborted, 1);
  });
});
