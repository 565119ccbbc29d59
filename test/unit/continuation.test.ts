import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acceptsPrefill } from '../../src/catalog/prefill';
import { parseConfigObject, parseDuration } from '../../src/config';
import { planRoute, type PlanContext, type PlanRequest } from '../../src/routing';
import type { ChatCompletion } from '../../src/config/api';
import { answerText } from '../../src/mock/completion';
import { canContinueOn, joinContinuation, mayContinue, withContinuation, type DeliveredPart } from '../../src/streaming/continuation';
import { OpenAIChunkPresenter } from '../../src/streaming/presenter';
import type { GatewayResponse } from '../../src/temporal/contract';

const part = (over: Partial<DeliveredPart> = {}): DeliveredPart => ({
  text: 'Mock answer ',
  chunks: 3,
  continuable: true,
  usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 },
  usageEstimated: true,
  ...over,
});

describe('continuation: may a broken stream be continued?', () => {
  it('only a stream that broke after delivery, with plain text delivered, on a route that allows it', () => {
    assert.equal(mayContinue('StreamInterrupted', part(), true), true);
    assert.equal(mayContinue('StreamInterrupted', part(), false), false, 'route option off');
    assert.equal(mayContinue('StreamInterrupted', part({ continuable: false }), true), false, 'tool calls delivered');
    assert.equal(mayContinue('StreamInterrupted', part({ text: '' }), true), false, 'no text to continue');
    assert.equal(mayContinue('StreamInterrupted', undefined, true), false, 'nothing known of what was delivered');
    assert.equal(mayContinue('ProviderServerError', part(), true), false, 'not a break after delivery');
  });

  it('a model continues only when the catalogue says it takes a prefill and it has not refused one', () => {
    assert.equal(canContinueOn({ model: 'a', prefill: true }, new Set()), true);
    assert.equal(canContinueOn({ model: 'a', prefill: false }, new Set()), false);
    assert.equal(canContinueOn({ model: 'a' }, new Set()), false);
    assert.equal(canContinueOn({ model: 'a', prefill: true }, new Set(['a'])), false, 'refused in this request');
  });

  it('prefill defaults per provider kind; the catalogue wins', () => {
    assert.equal(acceptsPrefill(undefined, 'anthropic', 'claude-sonnet-4-5'), true);
    assert.equal(acceptsPrefill(undefined, 'mock', 'mock-small'), true);
    assert.equal(acceptsPrefill(undefined, 'bedrock', 'us.anthropic.claude-3-5-haiku-20241022-v1:0'), true);
    assert.equal(acceptsPrefill(undefined, 'bedrock', 'amazon.nova-pro-v1:0'), false);
    for (const kind of ['openai', 'azure', 'gemini', 'openai-compatible', undefined]) assert.equal(acceptsPrefill(undefined, kind, 'x'), false, String(kind));
    assert.equal(acceptsPrefill(true, 'openai-compatible', 'x'), true);
    assert.equal(acceptsPrefill(false, 'anthropic', 'claude'), false);
  });
});

describe('continuation: the request and the joined answer', () => {
  it('asks with the delivered text as an assistant prefill, extending a caller\'s own prefill', () => {
    const user = { role: 'user' as const, content: 'Q' };
    assert.deepEqual(withContinuation({ model: 'm', messages: [user] }, 'Part').messages, [user, { role: 'assistant', content: 'Part' }]);
    const prefilled = { model: 'm', messages: [user, { role: 'assistant' as const, content: 'Autumn' }] };
    assert.deepEqual(withContinuation(prefilled, ' leaves').messages, [user, { role: 'assistant', content: 'Autumn leaves' }]);
  });

  it('joins the delivered text and the continuation into one answer whose usage adds both tries', () => {
    const continued: ChatCompletion = {
      id: 'c2', model: 'up', choices: [{ index: 0, message: { role: 'assistant', content: 'to: Q' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 14, completion_tokens: 2, total_tokens: 16 },
    };
    const joined = joinContinuation(continued, part());
    assert.equal(joined.choices[0]?.message.content, 'Mock answer to: Q');
    assert.equal(joined.choices[0]?.finish_reason, 'stop');
    assert.deepEqual(joined.usage, { prompt_tokens: 24, completion_tokens: 5, total_tokens: 29 });
  });

  it('the mock continues a prefill that starts its answer, and answers whole otherwise', () => {
    const q = { role: 'user', content: 'tell me' };
    assert.equal(answerText([q]), 'Mock answer to: tell me');
    assert.equal(answerText([q, { role: 'assistant', content: 'Mock answer ' }]), 'to: tell me');
    assert.equal(answerText([q, { role: 'assistant', content: 'Autumn' }]), 'Mock answer to: tell me');
  });
});

describe('continuation: the OpenAI stream stays one message', () => {
  it('a continuation\'s chunks keep the first id and model, drop their role, and the usage at the end is the whole answer\'s', () => {
    const p = new OpenAIChunkPresenter(true);
    const first = p.chunk({ id: 'one', choices: [{ index: 0, delta: { role: 'assistant', content: 'Part' } }] }, 'small');
    assert.equal((first[0]?.data as { id: string }).id, 'one');
    const [next] = p.chunk({ id: 'two', choices: [{ index: 0, delta: { role: 'assistant', content: ' rest' } }] }, 'large', true);
    assert.deepEqual(next?.data, { id: 'one', model: 'small', choices: [{ index: 0, delta: { content: ' rest' } }] });
    assert.deepEqual(p.chunk({ id: 'two', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }, 'large', true), [], 'only part of the usage: held');
    const usage = { prompt_tokens: 20, completion_tokens: 6, total_tokens: 26 };
    const end = p.finish({ id: 'two', created: 1, usage, choices: [], gatehouse: { model: 'large' } } as unknown as GatewayResponse, false);
    assert.deepEqual(end.map((e) => (typeof e.data === 'string' ? e.data : (e.data as { usage: unknown }).usage)), [usage, '[DONE]']);
  });
});

describe('continuation: the plan says which candidates may continue', () => {
  const KEY = `sha256:${'a'.repeat(64)}`;
  const config = parseConfigObject({
    providers: { claude: { kind: 'anthropic' }, gpt: { kind: 'openai', baseUrl: 'http://x/v1' } },
    models: {
      sonnet: { provider: 'claude', upstream: 'claude-sonnet-4-5' },
      gpt: { provider: 'gpt', upstream: 'gpt-4o' },
      declared: { provider: 'gpt', upstream: 'gpt-4o-mini', prefill: true },
    },
    callers: { bot: { team: 't', tasks: ['chat'], keyHash: KEY } },
    routes: [
      { name: 'chat', match: { task: 'chat' }, primary: 'sonnet', fallbacks: ['gpt', 'declared'] },
      { name: 'plain', match: { task: 'plain' }, primary: 'gpt', continuation: false },
    ],
  });
  const request: PlanRequest = {
    requestId: 'r1', caller: 'bot', task: 'chat', requestedModel: 'auto', risk: 'low', dataClass: 'internal',
    latency: 'realtime', forcePrivate: false, promptTokens: 10, maxOutputTokens: 10, downgrade: false,
  };
  const context = (refused: string[] = []): PlanContext => ({
    table: config, isAvailable: () => true, estimateCostUsd: () => undefined, parseDuration, refusesPrefill: (m) => refused.includes(m),
  });

  it('from the catalogue and the provider kind, minus models whose provider refused a prefill', () => {
    const plan = planRoute(request, config.routes[0]!, context());
    assert.equal(plan.continuation, true, 'on by default');
    assert.deepEqual(plan.candidates.map((c) => [c.model, c.prefill]), [['sonnet', true], ['gpt', false], ['declared', true]]);
    const learned = planRoute(request, config.routes[0]!, context(['sonnet']));
    assert.equal(learned.candidates[0]?.prefill, false);
    assert.equal(planRoute({ ...request, task: 'plain' }, config.routes[1]!, context()).continuation, false);
  });
});
