import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatCompletionRequest } from '../../src/config/api';
import { embeddingFamily, parseCohere, parseTitan, planCalls, titanBody } from '../../src/providers/bedrock/embed';
import { mapBedrockError } from '../../src/providers/bedrock/mapError';
import { dataImage, toConverse } from '../../src/providers/bedrock/mapRequest';
import { finishReason, fromConverse, StreamMapper, toUsage } from '../../src/providers/bedrock/mapResponse';
import { unsupportedFields } from '../../src/providers/bedrock/unsupported';
import { UpstreamError } from '../../src/providers/upstreamError';

/** The Bedrock adapter's pure mappings, on plain data (the SDK round trips are in bedrockAdapter.test.ts). */
const req = (fields: Record<string, unknown>) => ({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...fields }) as ChatCompletionRequest;
const TOOLS = [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }];
const HISTORY = [
  { role: 'user', content: 'weather?' },
  { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'weather', arguments: '{}' } }] },
  { role: 'tool', tool_call_id: 't1', content: 'sunny' },
];

describe('bedrock request mapping', () => {
  it('system and developer messages become system blocks; consecutive turns of one role merge (Converse needs alternation)', () => {
    const body = toConverse(req({
      messages: [
        { role: 'system', content: 'A' },
        { role: 'user', content: 'one' },
        { role: 'developer', content: [{ type: 'text', text: 'B' }] },
        { role: 'user', content: [{ type: 'text', text: 'two' }] },
        { role: 'assistant', content: 'ok' },
        { role: 'tool', tool_call_id: 'x', content: [{ type: 'text', text: 'r1' }] },
        { role: 'tool', tool_call_id: 'y', content: 'r2' },
        { role: 'user', content: 'three' },
      ],
    }));
    assert.deepEqual(body.system, [{ text: 'A' }, { text: 'B' }]);
    assert.deepEqual(body.messages, [
      { role: 'user', content: [{ text: 'one' }, { text: 'two' }] },
      { role: 'assistant', content: [{ text: 'ok' }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 'x', content: [{ text: 'r1' }] } }, { toolResult: { toolUseId: 'y', content: [{ text: 'r2' }] } }, { text: 'three' }] },
    ]);
  });

  it('inference settings: max_completion_tokens wins over max_tokens; a single stop string becomes a list', () => {
    assert.deepEqual(toConverse(req({ max_tokens: 10, max_completion_tokens: 20, top_p: 0.9, stop: 'X' })).inferenceConfig, { maxTokens: 20, topP: 0.9, stopSequences: ['X'] });
    assert.equal(toConverse(req({})).inferenceConfig, undefined);
  });

  it('tool_choice: auto, required (any), a named tool; none leaves the tools out unless the history holds tool calls', () => {
    assert.deepEqual(toConverse(req({ tools: TOOLS, tool_choice: 'required' })).toolConfig?.toolChoice, { any: {} });
    assert.deepEqual(toConverse(req({ tools: TOOLS, tool_choice: { type: 'function', function: { name: 'weather' } } })).toolConfig?.toolChoice, { tool: { name: 'weather' } });
    assert.equal(toConverse(req({ tools: TOOLS })).toolConfig?.toolChoice, undefined);
    assert.equal(toConverse(req({ tools: TOOLS, tool_choice: 'none' })).toolConfig, undefined);
    assert.deepEqual(unsupportedFields(req({ tools: TOOLS, tool_choice: 'none' })), []);
    const withHistory = req({ tools: TOOLS, tool_choice: 'none', messages: HISTORY });
    assert.deepEqual(toConverse(withHistory).toolConfig, { tools: [{ toolSpec: { name: 'weather', inputSchema: { json: { type: 'object' } } } }] });
    assert.match(unsupportedFields(withHistory).join('\n'), /tool_choice: "none" cannot be sent to Bedrock/);
  });

  it('response_format json_schema becomes Converse structured output; json_object is reported, not sent', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const body = toConverse(req({ response_format: { type: 'json_schema', json_schema: { name: 'out', schema } } }));
    assert.deepEqual(body.outputConfig, { textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: JSON.stringify(schema), name: 'out' } } } });
    const jsonObject = req({ response_format: { type: 'json_object' } });
    assert.equal(toConverse(jsonObject).outputConfig, undefined);
    assert.deepEqual(unsupportedFields(jsonObject), ['response_format: json_object has no Bedrock equivalent (only json_schema), not sent']);
  });

  it('images: png/jpeg/gif/webp data: URLs become bytes; http URLs and other parts are left out and reported', () => {
    assert.deepEqual(dataImage('data:image/jpeg;base64,AAEC'), { format: 'jpeg', bytes: Buffer.from([0, 1, 2]) });
    assert.equal(dataImage('data:image/tiff;base64,AAEC'), undefined);
    const r = req({ messages: [{ role: 'user', content: [{ type: 'text', text: 'see' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png' } }, { type: 'input_audio', input_audio: {} }] }] });
    assert.deepEqual(toConverse(r).messages, [{ role: 'user', content: [{ text: 'see' }] }]);
    assert.deepEqual(unsupportedFields(r), [
      'image_url: Bedrock takes images as png, jpeg, gif or webp data: URLs only; other images not sent',
      'input_audio content parts: not supported by this adapter, not sent',
    ]);
  });

  it('unsupported: one sentence per field Converse cannot honour; defaults and mapped fields are quiet', () => {
    const r = req({ n: 2, logprobs: true, seed: 7, top_k: 40, presence_penalty: 0, parallel_tool_calls: true, store: false, temperature: 0.5, metadata: { task: 'chat' }, stream: true });
    assert.deepEqual(unsupportedFields(r), [
      "n: not supported by Bedrock's Converse API, not sent",
      "logprobs: not supported by Bedrock's Converse API, not sent",
      "seed: not supported by Bedrock's Converse API, not sent",
      "top_k: not supported by Bedrock's Converse API, not sent",
    ]);
    assert.deepEqual(unsupportedFields(req({ messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'a', function: { name: 'f', arguments: 'not json' } }] }] })), ['messages[].tool_calls[].function.arguments: not a JSON object, sent as {}']);
  });
});

describe('bedrock response mapping', () => {
  const meta = { id: 'chatcmpl-bedrock-r', model: 'amazon.nova-lite-v1:0', created: 1 };

  it('stop reasons map to OpenAI finish reasons; malformed model output is a malformed answer', () => {
    assert.deepEqual(['end_turn', 'stop_sequence', 'max_tokens', 'model_context_window_exceeded', 'tool_use', 'guardrail_intervened', 'content_filtered'].map(finishReason), ['stop', 'stop', 'length', 'length', 'tool_calls', 'content_filter', 'content_filter']);
    assert.throws(() => finishReason('malformed_tool_use'), (e: unknown) => e instanceof UpstreamError && e.kind === 'malformed');
    assert.throws(() => finishReason(undefined), (e: unknown) => e instanceof UpstreamError && e.kind === 'malformed');
  });

  it('usage: the prompt counts cached reads and writes; reads are cached_tokens, writes kept as cache_creation_input_tokens', () => {
    assert.deepEqual(toUsage({ inputTokens: 5, outputTokens: 3, totalTokens: 58, cacheReadInputTokens: 20, cacheWriteInputTokens: 30 }), { prompt_tokens: 55, completion_tokens: 3, total_tokens: 58, prompt_tokens_details: { cached_tokens: 20 }, cache_creation_input_tokens: 30 });
    assert.equal(toUsage(undefined), undefined);
  });

  it('a guardrail intervention is a content_filter finish with the text Bedrock gave', () => {
    const c = fromConverse({ output: { message: { role: 'assistant', content: [{ text: 'Sorry, I cannot help with that.' }] } }, stopReason: 'guardrail_intervened', usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } }, meta);
    assert.equal(c.choices[0]?.finish_reason, 'content_filter');
    assert.equal(c.choices[0]?.message.content, 'Sorry, I cannot help with that.');
  });

  it('stream: tool indexes count tool blocks only; tool input for an unknown block is malformed; reasoning deltas are skipped', () => {
    const m = new StreamMapper(meta);
    m.chunk({ contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'x' } } });
    assert.equal(m.chunk({ contentBlockDelta: { contentBlockIndex: 1, delta: { reasoningContent: { text: 'hmm' } } } }), undefined);
    const start = m.chunk({ contentBlockStart: { contentBlockIndex: 2, start: { toolUse: { toolUseId: 'u', name: 'f' } } } });
    assert.equal(start?.choices[0]?.delta?.tool_calls?.[0]?.index, 0);
    assert.deepEqual(m.chunk({ contentBlockDelta: { contentBlockIndex: 2, delta: { toolUse: { input: '{}' } } } })?.choices[0]?.delta, { tool_calls: [{ index: 0, function: { arguments: '{}' } }] });
    assert.throws(() => m.chunk({ contentBlockDelta: { contentBlockIndex: 5, delta: { toolUse: { input: '{' } } } }), /never started/);
  });
});

describe('bedrock errors and embeddings (plain data)', () => {
  it('SDK errors map by exception name; socket failures are connection errors; timeouts are timeouts', () => {
    const aws = (name: string, message: string, status?: number) => Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: status } });
    const e1 = mapBedrockError(aws('ValidationException', 'Prompt is too long: 250000 tokens > 200000 maximum', 400)) as UpstreamError;
    assert.deepEqual([e1.kind, e1.status, e1.providerCode], ['http', 400, 'context_length_exceeded']);
    const e2 = mapBedrockError(aws('SomeNewException', 'new', 418)) as UpstreamError;
    assert.deepEqual([e2.status, e2.providerCode], [418, 'SomeNewException']);
    const e3 = mapBedrockError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) as UpstreamError;
    assert.equal(e3.kind, 'connection');
    assert.equal((mapBedrockError(Object.assign(new Error('timed out'), { name: 'TimeoutError' })) as UpstreamError).kind, 'timeout');
    const noCreds = mapBedrockError(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' })) as UpstreamError;
    assert.deepEqual([noCreds.kind, noCreds.status], ['http', 401]);
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    assert.equal(mapBedrockError(abort), abort);
  });

  it('embedding models: Titan v2 and Cohere by id, inference profile or ARN; anything else is a 400', () => {
    for (const id of ['amazon.titan-embed-text-v2:0', 'us.amazon.titan-embed-text-v2:0', 'arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0']) assert.equal(embeddingFamily(id), 'titan-v2');
    for (const id of ['cohere.embed-english-v3', 'us.cohere.embed-v4:0']) assert.equal(embeddingFamily(id), 'cohere');
    assert.throws(() => embeddingFamily('amazon.titan-embed-text-v1'), (e: unknown) => e instanceof UpstreamError && e.status === 400);
  });

  it('embedding calls: Titan one per input, Cohere 96 texts per call; answers parsed in both documented shapes', () => {
    assert.deepEqual(planCalls('titan-v2', ['a', 'b'], 256).map((c) => [c.first, c.body]), [[0, { inputText: 'a', normalize: true, dimensions: 256 }], [1, { inputText: 'b', normalize: true, dimensions: 256 }]]);
    const texts = Array.from({ length: 100 }, (_, i) => `t${i}`);
    const cohere = planCalls('cohere', texts, undefined);
    assert.deepEqual(cohere.map((c) => [c.first, (c.body.texts as string[]).length]), [[0, 96], [96, 4]]);
    assert.deepEqual(titanBody('x', undefined), { inputText: 'x', normalize: true });
    assert.deepEqual(parseTitan('{"embedding":[1,2],"inputTextTokenCount":3}'), { embeddings: [[1, 2]], tokens: 3 });
    assert.deepEqual(parseCohere('{"embeddings":[[1,2]],"response_type":"embeddings_floats"}', 1), { embeddings: [[1, 2]] });
    assert.deepEqual(parseCohere('{"embeddings":{"float":[[3]]},"response_type":"embeddings_by_type"}', 1), { embeddings: [[3]] });
    assert.throws(() => parseCohere('{"embeddings":[[1]]}', 2), (e: unknown) => e instanceof UpstreamError && e.kind === 'malformed');
    assert.throws(() => parseTitan('{"embeddings":[[1]]}'), (e: unknown) => e instanceof UpstreamError && e.kind === 'malformed');
  });
});
