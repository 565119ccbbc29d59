/**
 * Deterministic answers for the mock provider. Pure: same request in, same content
 * and usage out (only id/created vary), so tests can assert exact text and token counts.
 */

export interface ChatMessage {
  role: string;
  content?: unknown;
}

/** A tool as the request declares it (unchecked: the mock answers garbage with plain text). */
export interface ToolDecl {
  type?: unknown;
  function?: { name?: unknown; parameters?: unknown };
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  tools?: unknown;
  tool_choice?: unknown;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls';

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface Answer {
  content: string;
  finishReason: FinishReason;
  usage: Usage;
  /** Set when the mock calls a tool instead of answering (content is then ''). */
  toolCall?: ToolCall;
}

/** Marker that makes the mock answer with a JSON object (for structured-output validation tests). */
export const JSON_MARKER = '[[json]]';
export const JSON_ANSWER = '{"answer":"mock","ok":true}';
const MAX_ECHO_CHARS = 200;

/**
 * Token estimate: ceil(chars / 4). Not a real tokenizer on purpose — it only has to be
 * deterministic and roughly proportional so budget/usage code paths get realistic numbers.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Text of a message content: plain string or the array-of-parts form (`{type:'text', text}`). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) => {
      const p = part as { type?: unknown; text?: unknown } | null;
      return p && p.type === 'text' && typeof p.text === 'string' ? p.text : '';
    })
    .join('');
}

export function lastUserText(messages: ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m && m.role === 'user') return contentText(m.content);
  }
  return '';
}

/**
 * The answer's text. A trailing assistant message is a prefill: when it starts the answer the mock
 * would give, the mock continues it (only the rest is answered), as a model that accepts a prefill does.
 */
export function answerText(messages: ChatMessage[]): string {
  const last = messages.at(-1);
  if (last?.role === 'assistant' && messages.length > 1) {
    const prefill = contentText(last.content);
    const whole = answerText(messages.slice(0, -1));
    return prefill !== '' && whole.startsWith(prefill) ? whole.slice(prefill.length) : whole;
  }
  if (last?.role === 'tool') return `Mock answer to the tool result: ${contentText(last.content).slice(0, MAX_ECHO_CHARS)}`;
  const question = lastUserText(messages);
  if (question.includes(JSON_MARKER)) return JSON_ANSWER;
  return `Mock answer to: ${question.slice(0, MAX_ECHO_CHARS)}`;
}

/**
 * Build the answer. Honours max_tokens / max_completion_tokens like a real provider
 * (truncate to the budget, finish_reason 'length') so gateway code handling truncation can be tested.
 */
export function buildAnswer(req: ChatRequest, answerTokens?: number): Answer {
  const promptTokens = estimateTokens(req.messages.map((m) => contentText(m.content)).join(''));
  const toolCall = answerTokens === undefined ? mockToolCall(req) : undefined;
  if (toolCall) {
    const completionTokens = estimateTokens(toolCall.function.name + toolCall.function.arguments);
    return { content: '', finishReason: 'tool_calls', toolCall, usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens } };
  }
  let content = answerTokens === undefined ? answerText(req.messages) : longAnswer(answerTokens);
  let finishReason: FinishReason = 'stop';
  const budget = req.max_completion_tokens ?? req.max_tokens;
  if (typeof budget === 'number' && budget >= 0 && estimateTokens(content) > budget) {
    content = content.slice(0, budget * 4);
    finishReason = 'length';
  }
  const completionTokens = estimateTokens(content);
  return {
    content,
    finishReason,
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  };
}

/**
 * With tools offered and the user speaking last, the mock calls a tool (the one `tool_choice` names,
 * else the first) instead of answering: each required parameter gets a value of its type, strings
 * the user's text. After a tool result it answers in text, quoting it (see answerText).
 */
export function mockToolCall(req: ChatRequest): ToolCall | undefined {
  if (!Array.isArray(req.tools) || req.messages.at(-1)?.role !== 'user' || req.tool_choice === 'none') return undefined;
  const tools = (req.tools as unknown[]).filter((t): t is ToolDecl => typeof (t as ToolDecl | null)?.function?.name === 'string');
  const named = (req.tool_choice as { function?: { name?: unknown } } | null | undefined)?.function?.name;
  const tool = tools.find((t) => t.function!.name === named) ?? tools[0];
  if (!tool) return undefined;
  const name = tool.function!.name as string;
  const schema = (tool.function!.parameters ?? {}) as { properties?: Record<string, { type?: unknown }>; required?: unknown };
  const args: Record<string, unknown> = {};
  for (const key of Array.isArray(schema.required) ? schema.required : []) {
    if (typeof key !== 'string') continue;
    const type = schema.properties?.[key]?.type;
    args[key] = type === 'number' || type === 'integer' ? 1 : type === 'boolean' ? true : type === 'array' ? [] : type === 'object' ? {} : lastUserText(req.messages).slice(0, MAX_ECHO_CHARS);
  }
  const argText = JSON.stringify(args);
  return { id: `call_mock_${name.replace(/\W/g, '_')}_${estimateTokens(argText)}`, type: 'function', function: { name, arguments: argText } };
}

/** An answer of exactly `tokens` mock tokens (4 characters each): the `answer-tokens` fault. */
function longAnswer(tokens: number): string {
  return 'blah '.repeat(Math.ceil((tokens * 4) / 5)).slice(0, tokens * 4);
}

export interface ResponseMeta {
  id: string;
  created: number;
  model: string;
}

export function completionObject(meta: ResponseMeta, answer: Answer) {
  return {
    id: meta.id,
    object: 'chat.completion' as const,
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: answer.toolCall
          ? { role: 'assistant' as const, content: null, refusal: null, tool_calls: [answer.toolCall] }
          : { role: 'assistant' as const, content: answer.content, refusal: null },
        logprobs: null,
        finish_reason: answer.finishReason,
      },
    ],
    usage: answer.usage,
  };
}

/** Split into word chunks that concatenate back to exactly the original text. */
export function splitWords(content: string): string[] {
  const words = content.match(/\s*\S+\s*/g);
  if (words) return words;
  return content === '' ? [] : [content];
}

type Delta = { role?: 'assistant'; content?: string | null; tool_calls?: Array<{ index: number; id?: string; type?: 'function'; function: { name?: string; arguments: string } }> };

function chunkObject(meta: ResponseMeta, delta: Delta, finishReason: FinishReason | null, withUsage: boolean) {
  return {
    id: meta.id,
    object: 'chat.completion.chunk' as const,
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    // OpenAI sends usage: null on every chunk but the last when include_usage is on.
    ...(withUsage ? { usage: null } : {}),
  };
}

export interface StreamPlan {
  role: object;
  contents: object[];
  finish: object;
  /** Present only when the client asked for stream_options.include_usage. */
  usage?: object;
}

/** All chunks of a streamed answer; the server decides pacing and fault injection. */
export function buildStreamPlan(meta: ResponseMeta, answer: Answer, includeUsage: boolean): StreamPlan {
  const plan: StreamPlan = {
    role: chunkObject(meta, { role: 'assistant', content: '' }, null, includeUsage),
    contents: answer.toolCall ? toolCallChunks(meta, answer.toolCall, includeUsage) : splitWords(answer.content).map((w) => chunkObject(meta, { content: w }, null, includeUsage)),
    finish: chunkObject(meta, {}, answer.finishReason, includeUsage),
  };
  if (includeUsage) {
    plan.usage = {
      id: meta.id,
      object: 'chat.completion.chunk',
      created: meta.created,
      model: meta.model,
      choices: [],
      usage: answer.usage,
    };
  }
  return plan;
}

/** A tool call streamed as OpenAI does: id and name first, then the arguments in two pieces. */
function toolCallChunks(meta: ResponseMeta, call: ToolCall, includeUsage: boolean): object[] {
  const half = Math.ceil(call.function.arguments.length / 2);
  const pieces = [call.function.arguments.slice(0, half), call.function.arguments.slice(half)].filter((p) => p !== '');
  return [
    chunkObject(meta, { tool_calls: [{ index: 0, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }, null, includeUsage),
    ...pieces.map((p) => chunkObject(meta, { tool_calls: [{ index: 0, function: { arguments: p } }] }, null, includeUsage)),
  ];
}

/** OpenAI-style error body. */
export function errorBody(message: string, type: string, code: string | null) {
  return { error: { message, type, param: null, code } };
}

const CODE_MESSAGES: Record<string, string> = {
  context_length_exceeded:
    "This model's maximum context length is 8192 tokens. However, your messages resulted in more tokens. (mock)",
  content_policy_violation: 'Your request was rejected as a result of our safety system. (mock)',
};

/** Error body for an injected `status=` fault, typed the way OpenAI types them. */
export function faultErrorBody(status: number, code?: string) {
  const type =
    status === 400 ? 'invalid_request_error'
    : status === 401 ? 'authentication_error'
    : status === 403 ? 'permission_error'
    : status === 404 ? 'not_found_error'
    : status === 429 ? 'rate_limit_error'
    : status >= 500 ? 'server_error'
    : 'invalid_request_error';
  const effectiveCode = code ?? (status === 429 ? 'rate_limit_exceeded' : null);
  const message = (code && CODE_MESSAGES[code]) ?? `Mock injected fault: HTTP ${status}`;
  return errorBody(message, type, effectiveCode);
}
