import type { ChatCompletionRequest, ChatMessage } from '../../config/api';
import { invalidRequest } from '../../errors';
import type { ContentBlock, MessageParam, MessagesRequest } from './schema';

type Part = Record<string, unknown>;
/** A content part: OpenAI's parts all have a type. */
type ContentPart = { type: string; [k: string]: unknown };
type TextBlock = Extract<ContentBlock, { type: 'text' }>;

/**
 * An Anthropic Messages request as the gateway's one internal request (OpenAI chat completions).
 * Pure. Every field has a place: `system` → a system message, image blocks → `image_url` parts
 * (a data: URL for base64), PDFs → `file` parts, `tool_use` → assistant `tool_calls`,
 * `tool_result` → `tool` messages, `top_k` and `thinking` carried as extra fields for the adapters
 * that honour them (the others report them in `gatehouse.warnings`), `cache_control` kept on the
 * parts (the convention OpenAI-compatible routers read).
 */
export function toChatRequest(req: MessagesRequest): ChatCompletionRequest {
  const messages: ChatMessage[] = [];
  if (req.system !== undefined) messages.push({ role: 'system', content: typeof req.system === 'string' ? req.system : req.system.map(textPart) });
  req.messages.forEach((m, i) => messages.push(...(m.role === 'user' ? userMessages(m, i) : [assistantMessage(m, i)])));

  const out: ChatCompletionRequest = { model: req.model, messages, max_tokens: req.max_tokens };
  if (req.stream !== undefined) out.stream = req.stream;
  if (req.temperature !== undefined) out.temperature = req.temperature;
  if (req.top_p !== undefined) out.top_p = req.top_p;
  if (req.top_k !== undefined) out.top_k = req.top_k;
  if (req.stop_sequences?.length) out.stop = req.stop_sequences;
  if (req.metadata?.user_id) out.user = req.metadata.user_id;
  if (req.thinking && req.thinking.type !== 'disabled') out.thinking = req.thinking;
  if (req.tools?.length) out.tools = req.tools.map(tool);
  if (req.tool_choice) Object.assign(out, toolChoice(req.tool_choice, Boolean(req.tools?.length)));
  return out;
}

function textPart(b: TextBlock): ContentPart {
  return { type: 'text', text: b.text, ...(b.cache_control ? { cache_control: b.cache_control } : {}) };
}

/** A user turn: its tool results first (OpenAI wants them right after the assistant's calls), then the rest as one user message. */
function userMessages(m: MessageParam, i: number): ChatMessage[] {
  if (typeof m.content === 'string') return [{ role: 'user', content: m.content }];
  const tools: ChatMessage[] = [];
  const parts: ContentPart[] = [];
  m.content.forEach((b, j) => {
    const at = `messages.${i}.content.${j}`;
    switch (b.type) {
      case 'tool_result':
        tools.push({ role: 'tool', tool_call_id: b.tool_use_id, content: toolResultText(b) });
        break;
      case 'tool_use':
        throw invalidRequest('invalid_request', 'tool_use blocks belong in assistant messages', at);
      default:
        parts.push(contentPart(b, at));
    }
  });
  return parts.length ? [...tools, { role: 'user', content: parts }] : tools;
}

function contentPart(b: Exclude<ContentBlock, { type: 'tool_use' | 'tool_result' }>, at: string): ContentPart {
  if (b.type === 'text') return textPart(b);
  const cache = b.cache_control ? { cache_control: b.cache_control } : {};
  if (b.type === 'image') {
    const url = b.source.type === 'base64' ? `data:${b.source.media_type};base64,${b.source.data}` : b.source.url;
    return { type: 'image_url', image_url: { url }, ...cache };
  }
  if (b.source.type === 'text') {
    // A plain-text document is text with its title and context in front.
    const head = [b.title, b.context].filter(Boolean).join('\n');
    return { type: 'text', text: head ? `${head}\n\n${b.source.data}` : b.source.data, ...cache };
  }
  if (b.context) throw invalidRequest('unsupported_parameter', 'document context is supported only on text documents', `${at}.context`);
  return { type: 'file', file: { filename: b.title ?? 'document.pdf', file_data: `data:application/pdf;base64,${b.source.data}` }, ...cache };
}

/** OpenAI tool messages have no error flag: an error result says so in its text. */
function toolResultText(b: Extract<ContentBlock, { type: 'tool_result' }>): string {
  const text = typeof b.content === 'string' ? b.content : (b.content ?? []).map((t) => t.text).join('\n');
  return b.is_error ? `[tool error] ${text}` : text;
}

function assistantMessage(m: MessageParam, i: number): ChatMessage {
  if (typeof m.content === 'string') return { role: 'assistant', content: m.content };
  const text: string[] = [];
  const calls: Part[] = [];
  m.content.forEach((b, j) => {
    if (b.type === 'text') text.push(b.text);
    else if (b.type === 'tool_use') calls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input) } });
    else throw invalidRequest('invalid_request', `${b.type} blocks are not accepted in assistant messages`, `messages.${i}.content.${j}`);
  });
  const content = text.join('');
  return { role: 'assistant', content: content === '' && calls.length ? null : content, ...(calls.length ? { tool_calls: calls } : {}) };
}

function tool(t: NonNullable<MessagesRequest['tools']>[number]): Part {
  const fn: Part = { name: t.name, parameters: t.input_schema };
  if (t.description !== undefined) fn.description = t.description;
  if (t.strict !== undefined) fn.strict = t.strict;
  return { type: 'function', function: fn, ...(t.cache_control ? { cache_control: t.cache_control } : {}) };
}

/** OpenAI refuses a tool_choice without tools: auto/none then mean what no tools means anyway. */
function toolChoice(c: NonNullable<MessagesRequest['tool_choice']>, hasTools: boolean): Part {
  if (!hasTools) {
    if (c.type === 'none' || c.type === 'auto') return {};
    throw invalidRequest('invalid_request', `tool_choice ${c.type} needs tools`, 'tool_choice');
  }
  const choice = c.type === 'any' ? 'required' : c.type === 'tool' ? { type: 'function', function: { name: c.name } } : c.type;
  const out: Part = { tool_choice: choice };
  if (c.type !== 'none' && c.disable_parallel_tool_use) out.parallel_tool_calls = false;
  return out;
}
