import assert from 'node:assert/strict';
import type { Content } from '@google/genai';
import { describe, it } from 'node:test';
import type { ChatCompletionRequest } from '../../src/config/api';
import { priceFor } from '../../src/cost';
import { UpstreamError } from '../../src/providers';
import { toEmbeddings } from '../../src/providers/gemini/embed';
import { fromApiError, mapGeminiError, retryDelayMs } from '../../src/providers/gemini/mapError';
import { geminiUnsupported, toGeminiParams } from '../../src/providers/gemini/mapRequest';
import { finishReason, fromGeminiResponse, GeminiChunkMapper, toUsage } from '../../src/providers/gemini/mapResponse';

/** The Gemini adapter's pure mappings, on plain data (no SDK, no server). */
const req = (extra: Record<string, unknown>, messages: unknown[] = [{ role: 'user', content: 'hi' }]) => ({ model: 'm', messages, ...extra }) as unknown as ChatCompletionRequest;

describe('gemini request mapping', () => {
  it('generation settings: max_completion_tokens wins over max_tokens; top_p/top_k/seed/penalties/stop/n; JSON modes', () => {
    const { config } = toGeminiParams('g', req({ max_tokens: 50, max_completion_tokens: 80, top_p: 0.9, top_k: 40, seed: 7, presence_penalty: 0.5, frequency_penalty: 0.25, stop: 'END', n: 2, response_format: { type: 'json_object' } }));
    assert.deepEqual(config, { maxOutputTokens: 80, topP: 0.9, topK: 40, seed: 7, presencePenalty: 0.5, frequencyPenalty: 0.25, stopSequences: ['END'], candidateCount: 2, responseMimeType: 'application/json' });
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    assert.deepEqual(toGeminiParams('g', req({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } })).config, { responseMimeType: 'application/json', responseJsonSchema: schema });
  });

  it('tool_choice: none → NONE, required → ANY, a named function → ANY limited to it', () => {
    const mode = (tool_choice: unknown) => toGeminiParams('g', req({ tool_choice })).config?.toolConfig;
    assert.deepEqual(mode('none'), { functionCallingConfig: { mode: 'NONE' } });
    assert.deepEqual(mode('required'), { functionCallingConfig: { mode: 'ANY' } });
    assert.deepEqual(mode({ type: 'function', function: { name: 'weather' } }), { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['weather'] } });
    assert.equal(mode('toString'), undefined);
  });

  it('parallel tool results go back in one user turn, named from the calls; plain-text results under `result`', () => {
    const { contents } = toGeminiParams('g', req({}, [
      { role: 'user', content: 'weather in Paris and Rome?' },
      { role: 'assistant', content: 'Checking.', tool_calls: [
        { id: 'a', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' }, extra_content: { google: { thought_signature: 'sig' } } },
        { id: 'b', type: 'function', function: { name: 'forecast', arguments: '{"city":"Rome"}' } },
      ] },
      { role: 'tool', tool_call_id: 'a', content: '21°C' },
      { role: 'tool', tool_call_id: 'b', content: [{ type: 'text', text: '{"rain":true}' }] },
    ]));
    assert.deepEqual(contents, [
      { role: 'user', parts: [{ text: 'weather in Paris and Rome?' }] },
      { role: 'model', parts: [{ text: 'Checking.' }, { functionCall: { name: 'weather', args: { city: 'Paris' } }, thoughtSignature: 'sig' }, { functionCall: { name: 'forecast', args: { city: 'Rome' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'weather', response: { result: '21°C' } } }, { functionResponse: { name: 'forecast', response: { rain: true } } }] },
    ]);
  });

  it('Gemini 3: a replayed call turn without its thought signature gets Google\'s sentinel on its first call; a kept one is sent as is', () => {
    const turn = (extra: object) => [
      { role: 'user', content: 'weather?' },
      { role: 'assistant', content: null, tool_calls: [
        { id: 'a', type: 'function', function: { name: 'weather', arguments: '{}' }, ...extra },
        { id: 'b', type: 'function', function: { name: 'weather', arguments: '{}' } },
      ] },
      { role: 'tool', tool_call_id: 'a', content: '1' },
      { role: 'tool', tool_call_id: 'b', content: '2' },
    ];
    const signatures = (model: string, extra: object) => (toGeminiParams(model, req({}, turn(extra))).contents as Content[])[1]!.parts!.map((p) => p.thoughtSignature);
    assert.deepEqual(signatures('gemini-3-flash-preview', {}), ['skip_thought_signature_validator', undefined]);
    assert.deepEqual(signatures('gemini-3-flash-preview', { extra_content: { google: { thought_signature: 'real' } } }), ['real', undefined]);
    assert.deepEqual(signatures('gemini-2.5-flash', {}), [undefined, undefined]);
  });

  it('a tool result is named from the latest call with its id before it (made-up ids repeat across answers)', () => {
    const call = (name: string) => ({ role: 'assistant', content: null, tool_calls: [{ id: 'call_0', type: 'function', function: { name, arguments: '{}' } }] });
    const { contents } = toGeminiParams('g', req({}, [{ role: 'user', content: 'go' }, call('first'), { role: 'tool', tool_call_id: 'call_0', content: '1' }, call('second'), { role: 'tool', tool_call_id: 'call_0', content: '2' }]));
    const names = (contents as Content[]).flatMap((c) => c.parts!.filter((p) => p.functionResponse).map((p) => p.functionResponse!.name));
    assert.deepEqual(names, ['first', 'second']);
  });

  it('media: an http image with a known extension is fileData; audio and data-URL files inline', () => {
    const { contents } = toGeminiParams('g', req({}, [{ role: 'user', content: [
      { type: 'image_url', image_url: { url: 'https://example.com/cat.JPG?size=2' } },
      { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
      { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' } },
    ] }]));
    assert.deepEqual((contents as Content[])[0]?.parts, [
      { fileData: { fileUri: 'https://example.com/cat.JPG?size=2', mimeType: 'image/jpeg' } },
      { inlineData: { mimeType: 'audio/wav', data: 'UklGRg==' } },
      { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
    ]);
  });

  it('unsupported: names every field and part it cannot send, and nothing it maps', () => {
    assert.deepEqual(geminiUnsupported(req({ max_tokens: 5, temperature: 1, stream: true, stream_options: { include_usage: true }, metadata: { task: 'chat' }, tool_choice: 'auto' })), []);
    const problems = geminiUnsupported(req(
      { logprobs: true, top_logprobs: 3, logit_bias: { '1': 2 }, parallel_tool_calls: false, response_format: { type: 'grammar' }, tools: [{ type: 'web_search' }, { type: 'function', function: { name: 'f', strict: true } }], tool_choice: { type: 'allowed_tools' } },
      [
        { role: 'system', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } }] },
        { role: 'user', name: 'ann', content: [{ type: 'image_url', image_url: { url: 'https://example.com/photo' } }, { type: 'video', video: {} }] },
        { role: 'tool', tool_call_id: 'nowhere', content: 'x' },
      ],
    ));
    assert.deepEqual(problems, [
      'logprobs: not supported by Gemini, not sent',
      'top_logprobs: not supported by Gemini, not sent',
      'logit_bias: not supported by Gemini, not sent',
      'parallel_tool_calls: not supported by Gemini, not sent',
      'response_format: type "grammar" is not supported by Gemini, not sent',
      'tools[0]: only function tools are supported by Gemini, not sent',
      'tools[1].function.strict: strict schema adherence is not supported by Gemini, the tool was sent without it',
      'tool_choice: this form is not supported by Gemini, not sent',
      'messages[0].content[0]: content part type "image_url" in a system message is not supported by Gemini (text only), not sent',
      'messages[1].name: not supported by Gemini, not sent',
      'messages[1].content[0]: a URL Gemini cannot take (a data: URL, or an http(s) URL ending in a known image/PDF extension), not sent',
      'messages[1].content[1]: content part type "video" is not supported by Gemini, not sent',
      'messages[2]: a tool result whose tool_call_id matches no earlier tool call; Gemini needs the function\'s name, sent as "unknown_tool"',
    ]);
  });
});

describe('gemini response mapping', () => {
  it('finish reasons: STOP (tool_calls with a call), MAX_TOKENS, every filter reason', () => {
    assert.equal(finishReason('STOP', false), 'stop');
    assert.equal(finishReason('STOP', true), 'tool_calls');
    assert.equal(finishReason('MAX_TOKENS', true), 'length');
    for (const r of ['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']) assert.equal(finishReason(r, false), 'content_filter', r);
  });

  it('usage: tool-use prompt tokens are input, thinking is output; absent counts are 0', () => {
    assert.deepEqual(toUsage({ promptTokenCount: 10, toolUsePromptTokenCount: 5, candidatesTokenCount: 3 }), { prompt_tokens: 15, completion_tokens: 3, total_tokens: 18 });
    assert.equal(toUsage(undefined), undefined);
  });

  it('thought parts are not the answer; several candidates are several choices; no candidates is malformed', () => {
    const out = fromGeminiResponse({ candidates: [
      { index: 0, finishReason: 'STOP' as never, content: { parts: [{ text: 'thinking…', thought: true }, { text: 'A' }] } },
      { index: 1, finishReason: 'STOP' as never, content: { parts: [{ text: 'B' }] } },
    ] }, 'gemini-2.5-pro', 1_000_000);
    assert.deepEqual(out.choices.map((c) => c.message.content), ['A', 'B']);
    assert.equal(out.model, 'gemini-2.5-pro');
    assert.equal(out.created, 1000);
    assert.throws(() => fromGeminiResponse({ candidates: [] }, 'g'), (e: unknown) => e instanceof UpstreamError && e.kind === 'malformed');
  });

  it('stream chunks: tool-call indexes count across chunks; usage only on the finishing chunk or a usage-only one', () => {
    const m = new GeminiChunkMapper('g', 5000);
    const call = (city: string) => ({ functionCall: { name: 'weather', args: { city } } });
    const first = m.map({ candidates: [{ index: 0, content: { parts: [call('Paris')] } }], usageMetadata: { promptTokenCount: 9 } });
    const second = m.map({ candidates: [{ index: 0, content: { parts: [call('Rome')] }, finishReason: 'STOP' as never }], usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 4 } });
    assert.equal(first.usage, undefined);
    assert.deepEqual(first.choices[0]?.delta?.tool_calls?.[0]?.index, 0);
    assert.deepEqual(second.choices[0]?.delta, { tool_calls: [{ index: 1, id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } }] });
    assert.equal(second.choices[0]?.finish_reason, 'tool_calls');
    assert.deepEqual(second.usage, { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 });
    assert.deepEqual(m.map({ usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 5 } }).usage, { prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 });
  });
});

describe('gemini errors', () => {
  it('RetryInfo delays: seconds with fractions; none without RetryInfo', () => {
    assert.equal(retryDelayMs({ details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.5s' }] }), 1500);
    assert.equal(retryDelayMs({ details: [{ '@type': 'type.googleapis.com/google.rpc.Help' }] }), undefined);
  });

  it('a mid-stream error (the SDK\'s "got status" message) keeps Google\'s message and status', () => {
    const err = fromApiError(503, 'got status: UNAVAILABLE. {"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}');
    assert.deepEqual([err.status, err.message, err.providerCode], [503, 'The model is overloaded.', 'unavailable']);
  });

  it('a body that is not Google\'s shape keeps the SDK message; parse errors are malformed; the rest connection', () => {
    assert.equal(fromApiError(502, '{"error":{"message":"Bad Gateway","code":502,"status":"Bad Gateway"}}').status, 502);
    assert.equal(fromApiError(500, 'plain text').message, 'plain text');
    assert.equal((mapGeminiError(new SyntaxError('Unexpected token')) as UpstreamError).kind, 'malformed');
    assert.equal((mapGeminiError(new Error('exception parsing stream chunk {oops. SyntaxError')) as UpstreamError).kind, 'malformed');
    const noAdc = mapGeminiError(new Error('Could not load the default credentials. Browse to https://cloud.google.com/docs/authentication/getting-started for more information.')) as UpstreamError;
    assert.deepEqual([noAdc.status, noAdc.providerCode], [401, 'credentials_unavailable']);
    assert.equal((mapGeminiError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } })) as UpstreamError).message, 'Gemini call failed: ECONNRESET');
  });
});

describe('gemini embeddings and prices', () => {
  it('usage is Google\'s token counts when every embedding has one (Vertex), the gateway\'s estimate otherwise', () => {
    const vertex = toEmbeddings([{ embeddings: [{ values: [1], statistics: { tokenCount: 4 } }] }, { embeddings: [{ values: [2], statistics: { tokenCount: 6 } }] }], ['a', 'b'], 'gemini-embedding-001');
    assert.deepEqual(vertex.usage, { prompt_tokens: 10, total_tokens: 10 });
    assert.deepEqual(vertex.data.map((d) => d.index), [0, 1]);
    assert.throws(() => toEmbeddings([{ embeddings: [{ values: [1] }] }], ['a', 'b'], 'e'), (e: unknown) => e instanceof UpstreamError && e.kind === 'malformed');
  });

  it('Gemini models are priced from genai-prices under google', () => {
    assert.deepEqual(priceFor('gemini', 'gemini-2.5-flash').catalog, { provider: 'google', model: 'gemini-2.5-flash' });
  });
});
