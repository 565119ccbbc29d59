import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { presentedKey } from '../../src/auth';
import { GatewayError } from '../../src/errors';
import { anthropicErrorBody, anthropicErrorType } from '../../src/formats/anthropic/errors';
import { toChatRequest } from '../../src/formats/anthropic/request';
import { toAnthropicMessage, toAnthropicUsage, UNPARSED_ARGUMENTS } from '../../src/formats/anthropic/response';
import { MessagesRequestSchema, explainIssues } from '../../src/formats/anthropic/schema';
import { formatIssues } from '../../src/config';
import { AnthropicStreamPresenter } from '../../src/formats/anthropic/stream';
import type { ChatChunk } from '../../src/streaming/chunks';
import type { SseEvent } from '../../src/streaming/presenter';
import type { GatewayResponse } from '../../src/temporal/contract';

const translate = (body: unknown) => toChatRequest(MessagesRequestSchema.parse(body));
const base = { model: 'small', max_tokens: 100 };

describe('Anthropic Messages request → the internal chat request', () => {
  it('system, text, both image sources, sampling fields and the user id each land in their OpenAI place', () => {
    const out = translate({
      ...base,
      system: 'Be brief',
      messages: [{ role: 'user', content: [
        { type: 'text', text: 'What is this?' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0K' } },
        { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
      ] }],
      temperature: 0.2, top_p: 0.9, top_k: 5, stop_sequences: ['END'], metadata: { user_id: 'u-1' }, stream: true,
    });
    assert.deepEqual(out, {
      model: 'small',
      max_tokens: 100,
      messages: [
        { role: 'system', content: 'Be brief' },
        { role: 'user', content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0K' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
        ] },
      ],
      stream: true, temperature: 0.2, top_p: 0.9, top_k: 5, stop: ['END'], user: 'u-1',
    });
  });

  it('system blocks keep their cache_control; a PDF becomes a file part, a text document a text part', () => {
    const out = translate({
      ...base,
      system: [{ type: 'text', text: 'Rules', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: [
        { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0x' }, title: 'spec.pdf' },
        { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'body' }, title: 'Notes' },
      ] }],
    });
    assert.deepEqual(out.messages[0], { role: 'system', content: [{ type: 'text', text: 'Rules', cache_control: { type: 'ephemeral' } }] });
    assert.deepEqual(out.messages[1]!.content, [
      { type: 'file', file: { filename: 'spec.pdf', file_data: 'data:application/pdf;base64,JVBERi0x' } },
      { type: 'text', text: 'Notes\n\nbody' },
    ]);
  });

  it('a tool round trip: tools, tool_use → assistant tool_calls, tool_result → tool messages before the user text', () => {
    const out = translate({
      ...base,
      tools: [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      messages: [
        { role: 'user', content: 'Weather in Oslo?' },
        { role: 'assistant', content: [{ type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } }] },
        { role: 'user', content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '-3 C' }] },
          { type: 'text', text: 'And tomorrow?' },
        ] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2', content: 'no forecast', is_error: true }] },
      ],
    });
    assert.deepEqual(out.tools, [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }]);
    assert.equal(out.tool_choice, 'required');
    assert.equal(out.parallel_tool_calls, false);
    assert.deepEqual(out.messages, [
      { role: 'user', content: 'Weather in Oslo?' },
      { role: 'assistant', content: 'Checking.', tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
      { role: 'tool', tool_call_id: 'toolu_1', content: '-3 C' },
      { role: 'user', content: [{ type: 'text', text: 'And tomorrow?' }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_2', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'toolu_2', content: '[tool error] no forecast' },
    ]);
  });

  it('tool_choice: tool names the function, none stays none, auto/none without tools are left out, any without tools is refused', () => {
    const tools = [{ name: 'f', input_schema: { type: 'object' } }];
    const msgs = [{ role: 'user', content: 'x' }];
    assert.deepEqual(translate({ ...base, messages: msgs, tools, tool_choice: { type: 'tool', name: 'f' } }).tool_choice, { type: 'function', function: { name: 'f' } });
    assert.equal(translate({ ...base, messages: msgs, tools, tool_choice: { type: 'none' } }).tool_choice, 'none');
    assert.equal(translate({ ...base, messages: msgs, tool_choice: { type: 'auto' } }).tool_choice, undefined);
    assert.throws(() => translate({ ...base, messages: msgs, tool_choice: { type: 'any' } }), (e: GatewayError) => e.status === 400 && e.param === 'tool_choice');
  });

  it('thinking is carried for the adapters that honour it; disabled thinking is the default and not sent', () => {
    const msgs = [{ role: 'user', content: 'x' }];
    assert.deepEqual(translate({ ...base, messages: msgs, thinking: { type: 'enabled', budget_tokens: 2048 } }).thinking, { type: 'enabled', budget_tokens: 2048 });
    assert.equal('thinking' in translate({ ...base, messages: msgs, thinking: { type: 'disabled' } }), false);
  });

  it('refuses what it cannot carry instead of dropping it: no max_tokens, server tools, unknown fields, file/URL sources, images in tool results, tool_use from the user, thinking blocks', () => {
    const msgs = [{ role: 'user', content: 'x' }];
    for (const body of [
      { model: 'small', messages: msgs },
      { ...base, messages: msgs, tools: [{ type: 'web_search_20250305', name: 'web_search' }] },
      { ...base, messages: msgs, service_tier: 'auto' },
      { ...base, messages: msgs, temperature: 1.5 },
      { ...base, messages: [] },
      { ...base, messages: [{ role: 'assistant', content: [{ type: 'thinking', thinking: 'hm', signature: 's' }] }] },
      { ...base, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'f' } }] }] },
      { ...base, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } }] }] },
      { ...base, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'x' } }] }] }] },
      { ...base, messages: msgs, metadata: { user_id: 'u', tenant: 't' } },
    ]) {
      assert.equal(MessagesRequestSchema.safeParse(body).success, false, JSON.stringify(body));
    }
    const why = (body: unknown) => formatIssues(explainIssues(MessagesRequestSchema.safeParse(body).error!.issues)).join('; ');
    assert.match(why({ ...base, messages: [{ role: 'user', content: [{ type: 'thinking', thinking: 'x' }] }] }), /^messages\.0\.content\.0\.type: a content block is text, image/);
    assert.match(why({ ...base, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png' } }] }] }), /^messages\.0\.content\.0\.source\.data: /);
    assert.match(why({ ...base, messages: msgs, tools: [{ type: 'web_search_20250305', name: 'web_search' }] }), /server tools .* run only inside Anthropic's API/);
    assert.throws(() => translate({ ...base, messages: [{ role: 'user', content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }] }] }), (e: GatewayError) => e.status === 400 && e.param === 'messages.0.content.0');
  });
});

const gatehouse = { request_id: 'req-1', route: 'chat', model: 'small' } as GatewayResponse['gatehouse'];
function completion(message: Record<string, unknown>, finish: string, usage = { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 }): GatewayResponse {
  return { id: 'chatcmpl-9', object: 'chat.completion', created: 1, model: 'mock-small', choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }], usage, gatehouse };
}

describe('the internal answer → an Anthropic Message', () => {
  it('text and tool calls become blocks; the gateway model name, msg_ id and usage are Anthropic\'s', () => {
    const { message, warnings } = toAnthropicMessage(completion({ content: 'Let me look.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] }, 'tool_calls'), 'small');
    assert.deepEqual(message, {
      id: 'msg_chatcmpl-9', type: 'message', role: 'assistant', model: 'small',
      content: [{ type: 'text', text: 'Let me look.', citations: null }, { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Oslo' } }],
      stop_reason: 'tool_use', stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 5, cache_creation_input_tokens: null, cache_read_input_tokens: null },
    });
    assert.deepEqual(warnings, []);
  });

  it('arguments that are not a JSON object stay a tool_use, the text kept under input._unparsed_arguments, with a warning', () => {
    const { message, warnings } = toAnthropicMessage(completion({ content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"city": "Os' } }] }, 'tool_calls'), 'small');
    assert.deepEqual(message.content, [{ type: 'tool_use', id: 'c', name: 'f', input: { [UNPARSED_ARGUMENTS]: '{"city": "Os' } }]);
    assert.match(warnings[0]!, /not a JSON object/);
  });

  it('finish reasons map to stop reasons; a refusal is a text block with stop_reason refusal', () => {
    const stop = (finish: string, msg: Record<string, unknown> = { content: 'x' }) => toAnthropicMessage(completion(msg, finish), 'small').message.stop_reason;
    assert.equal(stop('stop'), 'end_turn');
    assert.equal(stop('length'), 'max_tokens');
    assert.equal(stop('content_filter'), 'refusal');
    assert.equal(stop('stop', { content: null, tool_calls: [{ id: 'c', function: { name: 'f', arguments: '{}' } }] }), 'tool_use');
    const refused = toAnthropicMessage(completion({ content: null, refusal: 'I cannot help with that.' }, 'stop'), 'small').message;
    assert.equal(refused.stop_reason, 'refusal');
    assert.deepEqual(refused.content, [{ type: 'text', text: 'I cannot help with that.', citations: null }]);
  });

  it('stop_sequence when an adapter reported which sequence matched, in the answer and in the stream', () => {
    const answer = completion({ content: 'one two' }, 'stop');
    (answer.choices[0] as Record<string, unknown>).stop_sequence = 'THREE';
    const { message } = toAnthropicMessage(answer, 'small');
    assert.equal(message.stop_reason, 'stop_sequence');
    assert.equal(message.stop_sequence, 'THREE');
    assert.deepEqual(accumulate(new AnthropicStreamPresenter().finish(answer, true)).message, message);
  });

  it('usage: cache reads and writes come out of input_tokens into their own fields', () => {
    assert.deepEqual(toAnthropicUsage({ prompt_tokens: 100, completion_tokens: 7, total_tokens: 107, prompt_tokens_details: { cached_tokens: 60 }, cache_creation_input_tokens: 30 } as never), {
      input_tokens: 10, output_tokens: 7, cache_creation_input_tokens: 30, cache_read_input_tokens: 60,
    });
  });
});

/** What Anthropic's SDK builds from the events (its MessageStream, reduced to what we send). */
function accumulate(events: SseEvent[]): { order: string[]; message: any } {
  const order: string[] = [];
  let message: any;
  const json: Record<number, string> = {};
  for (const e of events) {
    const d = e.data as any;
    assert.equal(e.event, d.type, 'the event: line names the data type');
    order.push(d.type === 'content_block_start' ? `start:${d.content_block.type}` : d.type === 'content_block_delta' ? `delta:${d.delta.type}` : d.type);
    if (d.type === 'message_start') message = structuredClone(d.message);
    if (d.type === 'content_block_start') message.content[d.index] = structuredClone(d.content_block);
    if (d.type === 'content_block_delta' && d.delta.type === 'text_delta') message.content[d.index].text += d.delta.text;
    if (d.type === 'content_block_delta' && d.delta.type === 'input_json_delta') json[d.index] = (json[d.index] ?? '') + d.delta.partial_json;
    if (d.type === 'content_block_stop' && json[d.index] !== undefined) message.content[d.index].input = JSON.parse(json[d.index]!);
    if (d.type === 'message_delta') Object.assign(message, d.delta, { usage: { ...message.usage, ...d.usage } });
  }
  return { order, message };
}

const chunk = (delta: Record<string, unknown>, finish: string | null = null, usage?: unknown): ChatChunk =>
  ({ id: 'chatcmpl-9', object: 'chat.completion.chunk', created: 1, model: 'mock-small', choices: usage ? [] : [{ index: 0, delta, finish_reason: finish }], ...(usage ? { usage } : {}) }) as ChatChunk;

describe('the internal chunks → Anthropic\'s stream events', () => {
  const answer = completion({ content: 'Hello there' }, 'stop');

  it('text streams live as message_start, one text block, message_delta with the usage, message_stop', () => {
    const p = new AnthropicStreamPresenter();
    const events = [
      ...p.chunk(chunk({ role: 'assistant', content: 'Hello' }), 'small'),
      ...p.chunk(chunk({ content: ' there' }), 'small'),
      ...p.chunk(chunk({}, 'stop'), 'small'),
      ...p.chunk(chunk({}, null, answer.usage), 'small'),
      ...p.finish(answer, false),
    ];
    const { order, message } = accumulate(events);
    assert.deepEqual(order, ['message_start', 'start:text', 'delta:text_delta', 'delta:text_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    assert.deepEqual(message, { ...toAnthropicMessage(answer, 'small').message }, 'the streamed message is the non-streamed one');
  });

  it('tool calls are sent whole at the end (one input_json_delta), after the text, with stop_reason tool_use', () => {
    const withTool = completion({ content: 'Checking', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] }, 'tool_calls');
    const p = new AnthropicStreamPresenter();
    const events = [
      ...p.chunk(chunk({ role: 'assistant', content: 'Checking' }), 'small'),
      ...p.chunk(chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }), 'small'),
      ...p.chunk(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }), 'small'),
      ...p.chunk(chunk({ tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] }), 'small'),
      ...p.chunk(chunk({}, 'tool_calls'), 'small'),
      ...p.finish(withTool, false),
    ];
    const { order, message } = accumulate(events);
    assert.deepEqual(order, ['message_start', 'start:text', 'delta:text_delta', 'content_block_stop', 'start:tool_use', 'delta:input_json_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    assert.deepEqual(message, toAnthropicMessage(withTool, 'small').message);
  });

  it('a replay (nothing went live) sends the same events as a live stream of the same answer', () => {
    const { message } = accumulate(new AnthropicStreamPresenter().finish(answer, true));
    assert.deepEqual(message, toAnthropicMessage(answer, 'small').message);
  });

  it('a failure is one error event in Anthropic\'s shape, keeping our code', () => {
    const e = new AnthropicStreamPresenter().error(new GatewayError('ProviderUnavailable', 'stream_interrupted', 'The stream was interrupted'));
    assert.deepEqual(e, { event: 'error', data: { type: 'error', error: { type: 'api_error', message: 'The stream was interrupted', code: 'stream_interrupted' } } });
  });
});

describe('errors and keys at the Anthropic front door', () => {
  it('statuses map to Anthropic error types', () => {
    assert.deepEqual([400, 401, 403, 404, 409, 413, 422, 429, 500, 502, 503].map(anthropicErrorType), [
      'invalid_request_error', 'authentication_error', 'permission_error', 'not_found_error', 'invalid_request_error', 'request_too_large',
      'invalid_request_error', 'rate_limit_error', 'api_error', 'api_error', 'overloaded_error',
    ]);
    const body = anthropicErrorBody(new GatewayError('InvalidRequest', 'invalid_request', 'max_tokens: required', { param: 'max_tokens' }));
    assert.deepEqual(body, { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: required', code: 'invalid_request', param: 'max_tokens' } });
  });

  it('the key comes from Authorization: Bearer, else x-api-key; Bearer wins', () => {
    assert.equal(presentedKey({ authorization: 'Bearer abc' }), 'abc');
    assert.equal(presentedKey({ 'x-api-key': 'xyz' }), 'xyz');
    assert.equal(presentedKey({ authorization: 'Bearer abc', 'x-api-key': 'xyz' }), 'abc');
    assert.equal(presentedKey({ authorization: 'Basic abc', 'x-api-key': ' xyz ' }), 'xyz');
    assert.equal(presentedKey({ 'x-api-key': 'two words' }), undefined);
    assert.equal(presentedKey({ 'x-api-key': ['a', 'b'] }), undefined);
    assert.equal(presentedKey({}), undefined);
  });
});
