import type { ContentBlock, ConverseRequest, ImageFormat, Message, SystemContentBlock, Tool, ToolChoice } from '@aws-sdk/client-bedrock-runtime';
import type { ChatCompletionRequest, ChatMessage } from '../../config/api';

/** The Converse body without `modelId` (the adapter adds it): what a chat completions request becomes. */
export type ConverseBody = Omit<ConverseRequest, 'modelId'>;

/** A part of an OpenAI message's `content` array. */
interface Part {
  type: string;
  text?: unknown;
  image_url?: { url?: unknown } | string;
}

interface ToolCall {
  id?: string;
  function?: { name?: string; arguments?: string };
}

const IMAGE_FORMATS: Readonly<Record<string, ImageFormat>> = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/jpg': 'jpeg', 'image/gif': 'gif', 'image/webp': 'webp' };

/**
 * OpenAI chat completions → Bedrock Converse. Pure. System and developer messages become `system`
 * blocks; tool results ride in a user message (Converse has no tool role); consecutive messages of
 * one role are merged, because Converse requires user and assistant turns to alternate. What cannot
 * be sent is left out here and named by `unsupportedFields` (same rules, so the two never disagree).
 */
export function toConverse(req: ChatCompletionRequest): ConverseBody {
  const system: SystemContentBlock[] = [];
  const messages: Message[] = [];
  for (const m of req.messages) {
    if (m.role === 'system' || m.role === 'developer') {
      for (const text of textsOf(m.content)) system.push({ text });
      continue;
    }
    const role = m.role === 'assistant' ? 'assistant' : 'user';
    const content = contentOf(m);
    if (content.length === 0) continue; // Converse refuses empty turns
    const last = messages.at(-1);
    if (last?.role === role) last.content!.push(...content);
    else messages.push({ role, content });
  }
  const body: ConverseBody = { messages };
  if (system.length > 0) body.system = system;
  const inference = inferenceConfig(req);
  if (inference) body.inferenceConfig = inference;
  const toolConfig = toolConfigOf(req, hasToolBlocks(messages));
  if (toolConfig) body.toolConfig = toolConfig;
  const schema = jsonSchemaOf(req.response_format);
  if (schema) body.outputConfig = { textFormat: { type: 'json_schema', structure: { jsonSchema: schema } } };
  return body;
}

function contentOf(m: ChatMessage): ContentBlock[] {
  if (m.role === 'tool') {
    const text = textsOf(m.content).join('');
    return [{ toolResult: { toolUseId: String(m.tool_call_id ?? ''), content: [{ text }] } }];
  }
  const blocks: ContentBlock[] = [];
  if (typeof m.content === 'string') {
    if (m.content !== '') blocks.push({ text: m.content });
  } else if (Array.isArray(m.content)) {
    for (const part of m.content as Part[]) {
      const block = partBlock(part);
      if (block) blocks.push(block);
    }
  }
  if (m.role === 'assistant') for (const call of toolCallsOf(m)) blocks.push({ toolUse: { toolUseId: call.id ?? '', name: call.function?.name ?? '', input: parseArguments(call.function?.arguments) as never } });
  return blocks;
}

function partBlock(part: Part): ContentBlock | undefined {
  if (part.type === 'text' && typeof part.text === 'string') return part.text === '' ? undefined : { text: part.text };
  if (part.type !== 'image_url') return undefined;
  const image = dataImage(imageUrl(part));
  return image ? { image: { format: image.format, source: { bytes: image.bytes } } } : undefined;
}

/** The texts of a message's content (a string, or its text parts). */
export function textsOf(content: ChatMessage['content']): string[] {
  if (typeof content === 'string') return content === '' ? [] : [content];
  if (!Array.isArray(content)) return [];
  return (content as Part[]).filter((p) => p.type === 'text' && typeof p.text === 'string' && p.text !== '').map((p) => p.text as string);
}

export function imageUrl(part: Part): string {
  const u = part.image_url;
  if (typeof u === 'string') return u;
  return typeof u?.url === 'string' ? u.url : '';
}

/**
 * A `data:image/<png|jpeg|gif|webp>;base64,` URL as bytes; undefined for anything else (an http URL:
 * Converse takes only bytes or S3, and the gateway does not fetch URLs). indexOf, not a regex: the
 * URL may be megabytes long.
 */
export function dataImage(url: string): { format: ImageFormat; bytes: Uint8Array } | undefined {
  const format = dataImageFormat(url);
  return format ? { format, bytes: Buffer.from(url.slice(url.indexOf(',') + 1), 'base64') } : undefined;
}

/** The image format of a data: URL Converse can take, without decoding it. */
export function dataImageFormat(url: string): ImageFormat | undefined {
  if (!url.startsWith('data:')) return undefined;
  const comma = url.indexOf(',');
  const semi = url.indexOf(';base64');
  if (comma < 0 || semi < 0 || semi > comma) return undefined;
  return IMAGE_FORMATS[url.slice(5, semi).toLowerCase()];
}

export function toolCallsOf(m: ChatMessage): ToolCall[] {
  return Array.isArray(m.tool_calls) ? (m.tool_calls as ToolCall[]) : [];
}

/** Converse takes a tool call's input as a JSON object; OpenAI carries it as a string. */
export function parseArguments(args: string | undefined): Record<string, unknown> {
  if (!args) return {};
  try {
    const value: unknown = JSON.parse(args);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function inferenceConfig(req: ChatCompletionRequest): ConverseBody['inferenceConfig'] {
  const out: NonNullable<ConverseBody['inferenceConfig']> = {};
  const max = req.max_completion_tokens ?? req.max_tokens;
  if (max !== undefined) out.maxTokens = max;
  if (req.temperature !== undefined) out.temperature = req.temperature;
  if (typeof req.top_p === 'number') out.topP = req.top_p;
  const stop = typeof req.stop === 'string' ? [req.stop] : Array.isArray(req.stop) ? (req.stop as unknown[]).filter((s): s is string => typeof s === 'string') : [];
  if (stop.length > 0) out.stopSequences = stop;
  return Object.keys(out).length > 0 ? out : undefined;
}

interface FunctionTool {
  type?: string;
  function?: { name?: string; description?: string; parameters?: unknown; strict?: unknown };
}

function hasToolBlocks(messages: Message[]): boolean {
  return messages.some((m) => m.content?.some((b) => b.toolUse !== undefined || b.toolResult !== undefined));
}

/**
 * `tool_choice: "none"` leaves the tools out (a model cannot call a tool it was not shown), unless
 * the conversation already holds tool calls: Converse then requires the tools, sent with `auto`.
 */
export function toolChoiceNoneKeepsTools(req: ChatCompletionRequest): boolean {
  return req.tool_choice === 'none' && req.messages.some((m) => m.role === 'tool' || toolCallsOf(m).length > 0);
}

function toolConfigOf(req: ChatCompletionRequest, historyHasTools: boolean): ConverseBody['toolConfig'] {
  const tools = Array.isArray(req.tools) ? (req.tools as FunctionTool[]).filter((t) => t.type === 'function' && t.function?.name) : [];
  if (tools.length === 0) return undefined;
  if (req.tool_choice === 'none' && !historyHasTools) return undefined;
  const specs: Tool[] = tools.map((t) => ({
    toolSpec: {
      name: t.function!.name,
      ...(typeof t.function!.description === 'string' ? { description: t.function!.description } : {}),
      inputSchema: { json: (t.function!.parameters ?? { type: 'object', properties: {} }) as never },
      ...(typeof t.function!.strict === 'boolean' ? { strict: t.function!.strict } : {}),
    },
  }));
  const choice = toolChoiceOf(req.tool_choice);
  return choice ? { tools: specs, toolChoice: choice } : { tools: specs };
}

function toolChoiceOf(choice: unknown): ToolChoice | undefined {
  if (choice === 'auto') return { auto: {} };
  if (choice === 'required') return { any: {} };
  const name = (choice as { function?: { name?: unknown } } | null)?.function?.name;
  return typeof name === 'string' ? { tool: { name } } : undefined;
}

/** `response_format: json_schema` → Converse structured output; `json_object` has no schema and no Converse twin. */
export function jsonSchemaOf(format: unknown): { schema: string; name?: string; description?: string } | undefined {
  const f = format as { type?: unknown; json_schema?: { name?: unknown; description?: unknown; schema?: unknown } } | undefined;
  if (f?.type !== 'json_schema' || !f.json_schema?.schema) return undefined;
  const { name, description, schema } = f.json_schema;
  return { schema: JSON.stringify(schema), ...(typeof name === 'string' ? { name } : {}), ...(typeof description === 'string' ? { description } : {}) };
}
