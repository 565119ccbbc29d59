import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatCompletionRequest } from '../../src/config/api';
import { providerCode } from '../../src/providers/anthropic/mapError';
import { DEFAULT_MAX_TOKENS, imageBlock, toAnthropicRequest, toolChoice } from '../../src/providers/anthropic/mapRequest';
import { finishReason, toChatCompletion, toOpenAIUsage } from '../../src/providers/anthropic/mapResponse';
import { AnthropicChunker } from '../../src/providers/anthropic/streamChunks';
import { unsupportedFields } from '../../src/providers/anthropic/unsupported';
import { classifyUpstreamError, UpstreamError } from '../../src/providers/upstreamError';
import { ChunkAssembler } from '../../src/streaming/assemble';

/** The Anthropic adapter's pure mappings, on plain data (the wire is tested in anthropicAdapter.test.ts). */
const V = '2023-06-01';
const req = (fields: Record<string, unknown>) => ({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...fields }) as ChatCompletionRequest;

describe('anthropic request mapping', () => {
  it('max_tokens / max_completion_tokens: the lower when both are set; neither: the default', () => {
    assert.equal(toAnthropicRequest('c', req({ max_tokens: 10, max_completion_tokens: 20 }), V).max_tokens, 10);
    assert.equal(toAnthropicRequest('c', req({ max_tokens: 30, max_completion_tokens: 20 }), V).max_tokens, 20);
    assert.equal(toAnthropicRequest('c', req({ max_tokens: 10 }), V).max_tokens, 10);
    assert.equal(toAnthropicRequest('c', req({}), V).max_tokens, DEFAULT_MAX_TOKENS);
  });

  it('consecutive tool results become one user turn; empty assistant text next to a tool call is dropped', () => {
    const body = toAnthropicRequest('c', req({ messages: [
      { role: 'user', content: 'two cities' },
      { role: 'assistant', content: '', tool_calls: [{ id: 'a', type: 'function', function: { name: 'w', arguments: '{"c":"X"}' } }, { id: 'b', type: 'function', function: { name: 'w', arguments: '' } }] },
      { role: 'tool', tool_call_id: 'a', content: '1' },
      { role: 'tool', tool_call_id: 'b', content: [{ type: 'text', text: '2' }] },
    ] }), V);
    assert.deepEqual(body.messages, [
      { role: 'user', content: [{ type: 'text', text: 'two cities' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'a', name: 'w', input: { c: 'X' } }, { type: 'tool_use', id: 'b', name: 'w', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: '1' }, { type: 'tool_result', tool_use_id: 'b', content: [{ type: 'text', text: '2' }] }] },
    ]);
    assert.equal(body.system, undefined);
  });

  it('consecutive user messages merge; a trailing assistant message stays last (a prefill)', () => {
    const body = toAnthropicRequest('c', req({ messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }, { role: 'assistant', content: 'The answer is (' }] }), V);
    assert.deepEqual(body.messages, [
      { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'The answer is (' }] },
    ]);
  });

  it('tool_choice: auto, none, required → any, a named function → tool; parallel_tool_calls false → disable_parallel_tool_use', () => {
    assert.deepEqual(toolChoice('auto', undefined), { type: 'auto' });
    assert.deepEqual(toolChoice('none', false), { type: 'none' });
    assert.deepEqual(toolChoice('required', undefined), { type: 'any' });
    assert.deepEqual(toolChoice({ type: 'function', function: { name: 'w' } }, false), { type: 'tool', name: 'w', disable_parallel_tool_use: true });
    assert.deepEqual(toolChoice(undefined, false), { type: 'auto', disable_parallel_tool_use: true });
    assert.equal(toolChoice(undefined, undefined), undefined);
    const noTools = toAnthropicRequest('c', req({ tool_choice: 'required' }), V);
    assert.equal(noTools.tool_choice, undefined); // nothing to choose from
  });

  it('json_schema → output_config.format (structured outputs); json_object is not sent', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false };
    assert.deepEqual(toAnthropicRequest('c', req({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } }), V).output_config, { format: { type: 'json_schema', schema } });
    assert.equal(toAnthropicRequest('c', req({ response_format: { type: 'json_object' } }), V).output_config, undefined);
  });

  it('temperature above 1 is not sent (Anthropic allows 0–1); from API version 2026-10-21 no sampling field is sent', () => {
    assert.equal(toAnthropicRequest('c', req({ temperature: 1 }), V).temperature, 1);
    assert.equal(toAnthropicRequest('c', req({ temperature: 1.5, top_k: 5 }), V).temperature, undefined);
    assert.equal(toAnthropicRequest('c', req({ temperature: 1.5, top_k: 5 }), V).top_k, 5);
    const newer = toAnthropicRequest('c', req({ temperature: 0.5, top_p: 0.9 }), '2026-10-21');
    assert.deepEqual([newer.temperature, newer.top_p], [undefined, undefined]);
  });

  it('a stop string becomes a one-element stop_sequences; images outside user turns and non-http URLs are not sent', () => {
    assert.deepEqual(toAnthropicRequest('c', req({ stop: 'X' }), V).stop_sequences, ['X']);
    const body = toAnthropicRequest('c', req({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'file:///etc/passwd' } }, { type: 'text', text: 'q' }] }] }), V);
    assert.deepEqual(body.messages, [{ role: 'user', content: [{ type: 'text', text: 'q' }] }]);
    assert.deepEqual(imageBlock({ url: 'data:image/JPG;base64,/9j/' }), { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/' } });
  });
});

describe('anthropic prompt caching', () => {
  it('cache_control hints on text parts and tools (as /v1/messages carries them) are sent on, and not reported', () => {
    const r = req({
      messages: [{ role: 'system', content: [{ type: 'text', text: 'long policy', cache_control: { type: 'ephemeral', ttl: '1h' } }] }, { role: 'user', content: [{ type: 'text', text: 'q', cache_control: { type: 'ephemeral', extra: 1 } }] }],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } }, cache_control: { type: 'ephemeral' } }],
    });
    const body = toAnthropicRequest('c', r, V);
    assert.deepEqual(body.system, [{ type: 'text', text: 'long policy', cache_control: { type: 'ephemeral', ttl: '1h' } }]);
    assert.deepEqual(body.messages[0]?.content, [{ type: 'text', text: 'q', cache_control: { type: 'ephemeral' } }]);
    assert.deepEqual(body.tools?.[0], { name: 'f', input_schema: { type: 'object' }, cache_control: { type: 'ephemeral' } });
    assert.deepEqual(unsupportedFields(r, V), []);
  });
});

describe('anthropic unsupported fields (pure)', () => {
  it('a plain request: nothing to report', () => {
    assert.deepEqual(unsupportedFields(req({ max_tokens: 5, temperature: 0.7, stop: ['x'], stream: true, stream_options: { include_usage: true }, metadata: { task: 'chat' }, n: 1, logprobs: false }), V), []);
  });

  it('names each field it cannot honour, one sentence each', () => {
    const r = req({
      n: 2, logprobs: true, top_logprobs: 3, presence_penalty: 0.5, frequency_penalty: 0.1, seed: 7, logit_bias: { '50256': -100 }, service_tier: 'flex',
      temperature: 1.4, response_format: { type: 'json_object' },
      messages: [
        { role: 'user', name: 'ann', content: [{ type: 'text', text: 'hi' }, { type: 'input_audio', input_audio: { data: '', format: 'wav' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'a', type: 'function', function: { name: 'w', arguments: 'not json' } }] },
      ],
    });
    assert.deepEqual(unsupportedFields(r, V), [
      'logprobs: Anthropic returns no log probabilities, not sent',
      'top_logprobs: Anthropic returns no log probabilities, not sent',
      'presence_penalty: Anthropic has no presence penalty, not sent',
      'frequency_penalty: Anthropic has no frequency penalty, not sent',
      'seed: Anthropic has no seed, not sent',
      'logit_bias: Anthropic has no logit bias, not sent',
      'service_tier: not supported by Anthropic, not sent',
      'n: Anthropic returns one choice per request, 2 asked; one sent',
      "temperature: 1.4 is above Anthropic's maximum of 1, not sent (the model's default, 1, applies)",
      'response_format: Anthropic has no JSON mode without a schema, not sent (use json_schema)',
      'messages[0].name: not supported by Anthropic, not sent',
      'messages[0].content[1]: input_audio parts are not supported by Anthropic here, not sent',
      'messages[1].tool_calls[0].function.arguments: not a JSON object, sent as {}',
    ]);
  });

  it('tools that are not functions, and a tool_choice left with nothing to choose from', () => {
    assert.deepEqual(unsupportedFields(req({ tools: [{ type: 'custom', custom: { name: 'x' } }], tool_choice: 'auto' }), V), [
      'tools: 1 tool(s) that are not named functions, not sent',
      'tool_choice: no function tools to choose from, not sent',
    ]);
  });
});

describe('anthropic response mapping', () => {
  it('stop reasons → OpenAI finish reasons', () => {
    assert.deepEqual(
      ['end_turn', 'stop_sequence', 'max_tokens', 'model_context_window_exceeded', 'tool_use', 'refusal', 'pause_turn', 'something_new'].map(finishReason),
      ['stop', 'stop', 'length', 'length', 'tool_calls', 'content_filter', 'stop', 'stop'],
    );
    assert.equal(finishReason(null), null);
  });

  it('usage: prompt = input + cache reads + cache writes; cache reads as cached_tokens; writes kept apart', () => {
    assert.deepEqual(toOpenAIUsage({ input_tokens: 5, output_tokens: 2, cache_read_input_tokens: 1000, cache_creation_input_tokens: 200 }), {
      prompt_tokens: 1205, completion_tokens: 2, total_tokens: 1207, prompt_tokens_details: { cached_tokens: 1000 }, cache_creation_input_tokens: 200,
    });
    assert.equal(toOpenAIUsage({ input_tokens: 5, output_tokens: 2, cache_read_input_tokens: null }).prompt_tokens, 5);
  });

  it('a refusal is content_filter; thinking blocks are not content; a message without usage is malformed', () => {
    const c = toChatCompletion({ id: 'm', type: 'message', model: 'c', content: [{ type: 'thinking', thinking: 'hmm', signature: 's' }, { type: 'text', text: 'I can’t help with that.' }], stop_reason: 'refusal', usage: { input_tokens: 1, output_tokens: 1 } }, 1_000_000);
    assert.equal(c.choices[0]?.finish_reason, 'content_filter');
    assert.equal(c.choices[0]?.message.content, 'I can’t help with that.');
    assert.equal(c.created, 1000);
    assert.throws(() => toChatCompletion({ id: 'm', type: 'message', model: 'c', content: [], stop_reason: 'end_turn' }), (e: unknown) => e instanceof UpstreamError && e.kind === 'malformed');
  });
});

describe('anthropic stream events → chunks', () => {
  it('a tool call without argument fragments ends with {} (as non-streamed); thinking deltas and unknown events carry nothing', () => {
    const k = new AnthropicChunker(0);
    const a = new ChunkAssembler();
    const events = [
      { type: 'message_start', message: { id: 'msg', model: 'c', usage: { input_tokens: 4, output_tokens: 1 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hmm' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 't', name: 'now' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'some_future_event' },
      { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 12, input_tokens: null } },
    ];
    for (const e of events) for (const c of k.take(e)) a.add(c);
    assert.equal(k.done, false);
    assert.deepEqual(k.take({ type: 'message_stop' }), []);
    assert.equal(k.done, true);
    const done = a.completion();
    assert.deepEqual((done.choices[0]?.message as { tool_calls?: unknown }).tool_calls, [{ id: 't', type: 'function', function: { name: 'now', arguments: '{}' } }]);
    assert.equal(done.choices[0]?.finish_reason, 'tool_calls');
    assert.deepEqual(done.usage, { prompt_tokens: 4, completion_tokens: 12, total_tokens: 16, prompt_tokens_details: { cached_tokens: 0 }, cache_creation_input_tokens: 0 });
  });
});

describe('anthropic error codes → the gateway\'s failure types', () => {
  const classify = (status: number, type: string, message = 'x') => classifyUpstreamError(new UpstreamError('http', message, status, providerCode(status, type, null, message)), 10_000).type;
  it('each documented Anthropic error lands in the right failure type', () => {
    assert.equal(classify(529, 'overloaded_error'), 'ProviderServerError');
    assert.equal(classify(429, 'rate_limit_error'), 'ProviderRateLimited');
    assert.equal(classify(401, 'authentication_error'), 'ProviderAuthError');
    assert.equal(classify(403, 'permission_error'), 'ProviderAuthError');
    assert.equal(classify(400, 'invalid_request_error', 'prompt is too long: 208310 tokens > 200000 maximum'), 'ContextLengthExceeded');
    assert.equal(classify(413, 'request_too_large'), 'ContextLengthExceeded');
    assert.equal(classify(400, 'invalid_request_error', 'This model does not support assistant message prefill. The conversation must end with a user message.'), 'UnsupportedRequestShape');
    assert.equal(classify(400, 'invalid_request_error', 'messages: text content blocks must be non-empty'), 'ProviderRejected');
    assert.equal(classify(500, 'api_error'), 'ProviderServerError');
    assert.equal(providerCode(400, 'invalid_request_error', 'image_dimensions_too_large', 'x'), 'image_dimensions_too_large'); // Anthropic's error_code when it has one
  });
});
