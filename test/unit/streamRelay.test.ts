import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ChatChunk } from '../../src/streaming/chunks';
import { RelayOrder, RelaySeal, parseFrame, type RelayMessage } from '../../src/streaming/relayMessage';
import { remainderAfter } from '../../src/streaming/resync';
import type { GatewayResponse } from '../../src/temporal/contract';

const word = (w: string): ChatChunk => ({ choices: [{ index: 0, delta: { content: w } }] });
const msg = (tryKey: string, n: number, extra: Partial<RelayMessage> = {}): RelayMessage => ({ try: tryKey, attempt: 1, model: 'small', n, chunks: [word('x')], ...extra });

describe('stream relay messages', () => {
  const seal = new RelaySeal(randomBytes(32));

  it('are sealed: the channel names and the ciphertext hold neither the request id nor the text', () => {
    const names = seal.names('req-abc-my-idempotency-key');
    assert.doesNotMatch(names.channel + names.state, /abc|idempotency/);
    const sealed = seal.seal(names.channel, { ...msg('t1', 0), chunks: [word('a secret answer')] });
    assert.ok(!sealed.toString('latin1').includes('secret'));
    assert.deepEqual(seal.open(names.channel, sealed)?.chunks, [word('a secret answer')]);
  });

  it('open only on their own request channel and with the same key', () => {
    const a = seal.names('req-a').channel;
    const sealed = seal.seal(a, msg('t1', 0));
    assert.equal(seal.open(seal.names('req-b').channel, sealed), undefined, 'replayed into another request');
    assert.equal(new RelaySeal(randomBytes(32)).open(a, sealed), undefined, 'another key');
    const tampered = Buffer.from(sealed);
    tampered[20] = (tampered[20] ?? 0) ^ 1;
    assert.equal(seal.open(a, tampered), undefined, 'tampered');
  });

  it('frames carry Redis’s sequence number before the sealed message', () => {
    assert.deepEqual(parseFrame(Buffer.from('12:abc'))?.seq, 12);
    assert.equal(parseFrame(Buffer.from('abc')), undefined);
    assert.equal(parseFrame(Buffer.from('0:abc')), undefined);
  });
});

describe('relay order: loss and reordering are detected, never shown', () => {
  it('accepts consecutive sequence numbers and per-try counters across tries', () => {
    const order = new RelayOrder();
    assert.equal(order.accept(1, msg('a', 0)), 'ok');
    assert.equal(order.accept(2, msg('a', 1)), 'ok');
    assert.equal(order.accept(3, msg('b', 0)), 'ok');
  });

  it('a missing sequence number is a gap (a message published while the subscriber reconnected)', () => {
    const order = new RelayOrder();
    assert.equal(order.accept(1, msg('a', 0)), 'ok');
    assert.equal(order.accept(3, msg('a', 1)), 'gap');
  });

  it('a try that skipped a message is a gap even when Redis numbered the rest in order', () => {
    const order = new RelayOrder();
    assert.equal(order.accept(1, msg('a', 0)), 'ok');
    assert.equal(order.accept(2, msg('a', 2)), 'gap');
  });

  it('a try first heard mid-way is a gap (its commit message was lost)', () => {
    assert.equal(new RelayOrder().accept(1, msg('a', 3)), 'gap');
  });

  it('bounds the tries it tracks', () => {
    const order = new RelayOrder(2);
    order.accept(1, msg('a', 0));
    order.accept(2, msg('b', 0));
    assert.equal(order.accept(3, msg('c', 0)), 'too_many_tries');
  });
});

describe('resync: the rest of a stream from the workflow result', () => {
  const shown = (text: string, finish?: string) => ({
    id: 'c1', object: 'chat.completion' as const, created: 1, model: 'm',
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: finish ?? null }],
  });
  const result = (text: string, attempts: Array<{ outcome: 'ok' | 'failed'; adapted?: string }>) =>
    ({ ...shown(text, 'stop'), gatehouse: { attempts: attempts.map((a) => ({ model: 'm', ...a })) } }) as unknown as GatewayResponse;

  it('sends exactly the remaining text when the answer came from the try the caller saw', () => {
    const rest = remainderAfter(shown('Mock ans'), result('Mock answer', [{ outcome: 'ok' }]), 1);
    assert.ok(rest && rest !== 'none');
    assert.equal(rest.choices[0]?.delta?.content, 'wer');
    assert.equal(rest.choices[0]?.finish_reason, 'stop');
  });

  it('follows continuations of the shown try', () => {
    const attempts = [{ outcome: 'failed' as const }, { outcome: 'ok' as const, adapted: 'continuation' }];
    const rest = remainderAfter(shown('Mock ans'), result('Mock answer', attempts), 1);
    assert.ok(rest && rest !== 'none' && rest.choices[0]?.delta?.content === 'wer');
  });

  it('refuses an answer from another try, even when its text happens to start the same', () => {
    const attempts = [{ outcome: 'failed' as const }, { outcome: 'ok' as const }];
    assert.equal(remainderAfter(shown('Mock ans'), result('Mock answer', attempts), 1), undefined);
  });

  it('refuses when what was shown is not the beginning of the answer', () => {
    assert.equal(remainderAfter(shown('Other'), result('Mock answer', [{ outcome: 'ok' }]), 1), undefined);
  });

  it('nothing more to send when the shown part already finished and is the whole answer', () => {
    assert.equal(remainderAfter(shown('Mock answer', 'stop'), result('Mock answer', [{ outcome: 'ok' }]), 1), 'none');
  });
});
