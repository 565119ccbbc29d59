import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../src/errors';
import { effectiveRisk, screenPrompt } from '../../src/policy';

const CARD = '4111 1111 1111 1111';
const KEY = 'sk-proj-EXAMPLEabcdefghijklmnopqrstuvwxyz0123456789';
const msgs = (content: string) => [{ role: 'user' as const, content }];

describe('screenPrompt', () => {
  it('nothing sensitive: internal, no action', () => {
    assert.deepEqual(screenPrompt(msgs('Summarize our Q3 roadmap'), { action: 'block', minClass: 'confidential' }), {
      dataClass: 'internal',
      kinds: [],
      action: 'none',
    });
  });

  it('block names the kinds, never the values', () => {
    try {
      screenPrompt(msgs(`card ${CARD} and key ${KEY}`), { action: 'block', minClass: 'confidential' });
      assert.fail('should block');
    } catch (err) {
      assert.ok(err instanceof GatewayError);
      assert.equal(err.status, 403);
      assert.equal(err.code, 'sensitive_data_blocked');
      assert.match(err.message, /api_key, payment_card/);
      assert.ok(!err.message.includes('4111') && !err.message.includes('sk-proj'));
    }
  });

  it('redact replaces the spans before the provider sees them and lowers the class', () => {
    const s = screenPrompt([{ role: 'system', content: 'be brief' }, ...msgs(`pay with ${CARD} please`)], { action: 'redact', minClass: 'confidential' });
    assert.equal(s.action, 'redacted');
    assert.equal(s.dataClass, 'internal');
    assert.deepEqual(s.kinds, ['payment_card']);
    assert.equal(s.messages?.[1]?.content, 'pay with [REDACTED:payment_card] please');
    assert.equal(s.messages?.[0]?.content, 'be brief');
  });

  const actions: Array<['private' | 'review' | 'allow', string]> = [
    ['private', 'private'],
    ['review', 'review'],
    ['allow', 'none'],
  ];
  for (const [action, want] of actions) {
    it(`${action}: keeps the class (restricted) and says ${want}`, () => {
      const s = screenPrompt(msgs(`ssn 123-45-6789`), { action, minClass: 'confidential' });
      assert.equal(s.action, want);
      assert.equal(s.dataClass, 'restricted');
    });
  }

  it('text in content parts and tool-call arguments is screened and redacted too (what /v1/messages blocks become)', () => {
    const messages = [
      { role: 'user' as const, content: [{ type: 'text', text: 'first part' }, { type: 'image_url', image_url: { url: 'https://x/y.png' } }, { type: 'text', text: `pay with ${CARD}` }] },
      { role: 'assistant' as const, content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'pay', arguments: `{"card":"${CARD}"}` } }] },
    ];
    assert.throws(() => screenPrompt(messages, { action: 'block', minClass: 'confidential' }), (e: unknown) => e instanceof GatewayError && e.code === 'sensitive_data_blocked');
    const s = screenPrompt(messages, { action: 'redact', minClass: 'confidential' });
    const parts = s.messages?.[0]?.content as Array<{ type: string; text?: string }>;
    assert.deepEqual(parts.map((p) => p.text), ['first part', undefined, 'pay with [REDACTED:payment_card]']);
    const args = (s.messages?.[1] as unknown as { tool_calls: Array<{ function: { arguments: string } }> }).tool_calls[0]!.function.arguments;
    assert.deepEqual(JSON.parse(args), { card: '[REDACTED:payment_card]' });
    assert.ok(!JSON.stringify(s.messages).includes('4111'));
  });

  it('below minClass the action does not apply', () => {
    const s = screenPrompt(msgs('mail me at jane@example.com'), { action: 'block', minClass: 'restricted' });
    assert.equal(s.action, 'none');
    assert.equal(s.dataClass, 'confidential');
  });
});

describe('effectiveRisk', () => {
  const rows: Array<[Parameters<typeof effectiveRisk>, string]> = [
    [['low', undefined, 'internal'], 'low'],
    [['low', 'medium', 'internal'], 'medium'],
    [['low', undefined, 'confidential'], 'medium'],
    [['medium', undefined, 'restricted'], 'high'],
    [['high', 'low', 'public'], 'high'],
  ];
  for (const [args, want] of rows) it(`${args.join(' + ')} → ${want}`, () => assert.equal(effectiveRisk(...args), want));
});
