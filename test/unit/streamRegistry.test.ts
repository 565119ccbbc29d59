import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatChunk } from '../../src/streaming/chunks';
import { StreamRegistry } from '../../src/streaming/registry';

const role: ChatChunk = { choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] };
const word = (w: string): ChatChunk => ({ choices: [{ index: 0, delta: { content: w } }] });

/** A subscriber whose call started the request (confirmed), unless `confirmed: false`. */
function subscriber(reg: StreamRegistry, id = 'req-1', confirmed = true) {
  const got: Array<[string, number]> = [];
  const sub = reg.subscribe(id, { chunk: (c, from) => got.push([c.choices[0]?.delta?.content || '<role>', from.attempt]) });
  if (confirmed) sub.confirm();
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

  it('a continuation of a broken committed attempt takes over the stream once it shows something', () => {
    const reg = new StreamRegistry();
    const { sub, got } = subscriber(reg);
    const first = reg.open('req-1', { model: 'small', attempt: 1 }, () => {});
    first.push(word('Part'));
    const second = reg.open('req-1', { model: 'large', attempt: 2, continues: true }, () => {});
    second.push(role);
    assert.deepEqual(got, [['Part', 1]], 'its leading role chunk is held back like any attempt\'s');
    assert.equal(second.delivered, false, 'a continuation that showed nothing may still fail over unseen');
    second.push(word(' rest'));
    assert.deepEqual(got, [['Part', 1], ['<role>', 2], [' rest', 2]]);
    assert.equal(sub.committed, second);
    second.finish();
    assert.equal(sub.committed?.finished, true, 'the caller\'s end sees a finished answer');
  });

  it('a continuation never takes over from an attempt that finished', () => {
    const reg = new StreamRegistry();
    const { got } = subscriber(reg);
    const first = reg.open('req-1', { model: 'small', attempt: 1 }, () => {});
    first.push(word('Whole'));
    first.finish();
    reg.open('req-1', { model: 'small', attempt: 2, continues: true }, () => {}).push(word('Other'));
    assert.deepEqual(got, [['Whole', 1]]);
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

  it('a subscription gets nothing until its start is confirmed, then the held-back chunks in order', () => {
    const reg = new StreamRegistry();
    const { sub, got } = subscriber(reg, 'req-1', false);
    const a = reg.open('req-1', { model: 'small', attempt: 1 }, () => {});
    a.push(role);
    a.push(word('Early'));
    assert.deepEqual(got, [], 'nothing before ownership is proven');
    assert.equal(sub.live, false);
    assert.equal(a.delivered, true, 'a claim may still be confirmed: the try can no longer fail over unseen');
    assert.equal(sub.confirm(), true);
    assert.deepEqual(got, [['<role>', 1], ['Early', 1]]);
    a.push(word(' late'));
    assert.deepEqual(got.at(-1), [' late', 1]);
  });

  it('a rejoin (never confirmed) gets no chunk and cannot abort the request, before or after the owner is known', () => {
    const reg = new StreamRegistry();
    const repeat = subscriber(reg, 'req-1', false);
    const { sub, got } = subscriber(reg, 'req-1', false);
    let aborted = 0;
    const a = reg.open('req-1', { model: 'small', attempt: 1 }, () => aborted++);
    a.push(word('Mine'));
    repeat.sub.abortRunning();
    assert.equal(aborted, 0, 'an unconfirmed subscriber cannot abort');
    assert.equal(sub.confirm(), true);
    assert.equal(repeat.sub.confirm(), false, 'only one subscription can own a request');
    a.push(word(' too'));
    repeat.sub.abortRunning();
    repeat.sub.close();
    assert.equal(aborted, 0);
    assert.deepEqual(repeat.got, []);
    assert.deepEqual(got, [['Mine', 1], [' too', 1]]);
    assert.equal(repeat.sub.committed, undefined);
    sub.abortRunning();
    assert.equal(aborted, 1, 'the owner can');
  });

  it('claims that all turn out to be rejoins drop the held-back chunks: the try counts as unseen', () => {
    const reg = new StreamRegistry();
    const { sub, got } = subscriber(reg, 'req-1', false);
    const a = reg.open('req-1', { model: 'small', attempt: 1 }, () => {});
    a.push(word('Not yours'));
    sub.close();
    assert.equal(reg.size, 0);
    assert.equal(sub.confirm(), false, 'a closed subscription never becomes live');
    a.push(word(' either'));
    assert.deepEqual(got, []);
    assert.equal(a.delivered, false);
  });
});
