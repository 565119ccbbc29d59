import type { Content, Part } from '@google/genai';
import type { ChatCompletionRequest, ChatMessage } from '../../config/api';

/**
 * OpenAI chat messages → Gemini `contents` and `systemInstruction`. Pure. What cannot be sent is
 * left out here and named by `contentProblems` (the adapter's `unsupported`), never dropped silently.
 */
export interface MappedContents {
  contents: Content[];
  systemInstruction?: Content;
}

interface ToolCall {
  id?: string;
  function?: { name?: string; arguments?: string };
  /** Google's OpenAI-compatible convention for a Gemini thought signature that must travel back. */
  extra_content?: { google?: { thought_signature?: string } };
}

type RawPart = { type: string; [k: string]: unknown };

/**
 * Gemini 3 refuses (400) a replayed function-call turn without its thought signature, and callers
 * lose it easily (the Anthropic front door has no field for it, stores rebuild messages). Google
 * documents this sentinel for such turns; a real signature, where the caller kept it, is sent as is.
 */
export const SKIP_SIGNATURE = 'skip_thought_signature_validator';
export const needsSignatures = (upstreamModel: string) => /^(models\/)?gemini-3/.test(upstreamModel);

export function toGeminiContents(messages: readonly ChatMessage[], signCalls = false): MappedContents {
  const system: Part[] = [];
  const contents: Content[] = [];
  const toolNames = new Map<string, string>();
  for (const msg of messages) {
    learnToolNames(msg, toolNames);
    if (msg.role === 'system' || msg.role === 'developer') system.push(...textParts(msg.content));
    else if (msg.role === 'tool') append(contents, 'user', [functionResponse(msg, toolNames)]);
    else if (msg.role === 'assistant') append(contents, 'model', [...contentParts(msg.content), ...functionCalls(msg, signCalls)]);
    else append(contents, 'user', contentParts(msg.content));
  }
  return { contents, ...(system.length > 0 ? { systemInstruction: { parts: system } } : {}) };
}

/** Gemini wants alternating turns, and all answers to one turn's parallel calls in one content. */
function append(contents: Content[], role: 'user' | 'model', parts: Part[]): void {
  if (parts.length === 0) return;
  const last = contents.at(-1);
  if (last?.role === role) last.parts!.push(...parts);
  else contents.push({ role, parts });
}

/**
 * A tool message carries only the call's id; Gemini wants the function's name. Learnt in message
 * order, so a tool result takes the name from the latest call with its id before it (made-up ids
 * like `call_0` repeat from one answer to the next).
 */
function learnToolNames(msg: ChatMessage, names: Map<string, string>): void {
  for (const call of toolCallsOf(msg)) if (call.id && call.function?.name) names.set(call.id, call.function.name);
}

function toolCallsOf(msg: ChatMessage): ToolCall[] {
  const calls = (msg as { tool_calls?: unknown }).tool_calls;
  return Array.isArray(calls) ? (calls.filter((c) => typeof c === 'object' && c !== null) as ToolCall[]) : [];
}

/** Gemini signs only the first call of a turn (parallel calls share it): so does the sentinel. */
function functionCalls(msg: ChatMessage, signCalls: boolean): Part[] {
  const parts: Part[] = toolCallsOf(msg).map((call) => {
    const signature = call.extra_content?.google?.thought_signature;
    return { functionCall: { name: call.function?.name ?? '', args: argsObject(call.function?.arguments) }, ...(signature ? { thoughtSignature: signature } : {}) };
  });
  if (signCalls && parts.length > 0 && !parts.some((p) => p.thoughtSignature)) parts[0]!.thoughtSignature = SKIP_SIGNATURE;
  return parts;
}

function functionResponse(msg: ChatMessage, toolNames: Map<string, string>): Part {
  const id = (msg as { tool_call_id?: unknown }).tool_call_id;
  const name = (typeof id === 'string' ? toolNames.get(id) : undefined) ?? msg.name ?? 'unknown_tool';
  const text = textParts(msg.content)
    .map((p) => p.text)
    .join('');
  return { functionResponse: { name, response: responseObject(text) } };
}

/** Gemini's `args` and `response` are JSON objects: a tool's plain-text result goes under `result`. */
function responseObject(text: string): Record<string, unknown> {
  const parsed = parseJson(text);
  return isObject(parsed) ? parsed : { result: parsed === undefined ? text : parsed };
}

function argsObject(text: string | undefined): Record<string, unknown> {
  const parsed = parseJson(text ?? '{}');
  return isObject(parsed) ? parsed : { arguments: text };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function textParts(content: ChatMessage['content']): Array<{ text: string }> {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  return (content ?? []).filter((p) => typeof p.text === 'string').map((p) => ({ text: p.text as string }));
}

function contentParts(content: ChatMessage['content']): Part[] {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  const parts: Part[] = [];
  for (const p of content ?? []) {
    const part = toPart(p as RawPart);
    if (part) parts.push(part);
  }
  return parts;
}

/** One OpenAI content part as a Gemini part; undefined when Gemini cannot take it (see `partProblem`). */
function toPart(p: RawPart): Part | undefined {
  if (p.type === 'text' && typeof p.text === 'string') return { text: p.text };
  if (p.type === 'image_url') return urlPart(imageUrl(p));
  if (p.type === 'input_audio') {
    const audio = p.input_audio as { data?: unknown; format?: unknown } | undefined;
    if (typeof audio?.data === 'string' && typeof audio.format === 'string') return { inlineData: { mimeType: `audio/${audio.format}`, data: audio.data } };
  }
  if (p.type === 'file') {
    const data = (p.file as { file_data?: unknown } | undefined)?.file_data;
    if (typeof data === 'string') return urlPart(data);
  }
  return undefined;
}

function imageUrl(p: RawPart): string | undefined {
  const v = p.image_url as { url?: unknown } | string | undefined;
  const url = typeof v === 'string' ? v : v?.url;
  return typeof url === 'string' ? url : undefined;
}

const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+)(?:;[^,]*)?;base64,/;

/** A data: URL is sent inline; an http(s) URL as `fileData` when its type can be told from its name. */
function urlPart(url: string | undefined): Part | undefined {
  if (!url) return undefined;
  const data = DATA_URL.exec(url);
  if (data) return { inlineData: { mimeType: data[1]!, data: url.slice(data[0].length) } };
  if (!/^https?:\/\//i.test(url) && !/^gs:\/\//i.test(url)) return undefined;
  const mimeType = mimeFromName(url);
  return mimeType ? { fileData: { fileUri: url, mimeType } } : undefined;
}

const MIME_BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  heif: 'image/heif',
  pdf: 'application/pdf',
};

export function mimeFromName(url: string): string | undefined {
  const path = url.split(/[?#]/, 1)[0]!;
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return ext ? MIME_BY_EXTENSION[ext] : undefined;
}

/** Sentences for every content part or tool message the mapping above cannot send. */
export function contentProblems(req: ChatCompletionRequest): string[] {
  const problems: string[] = [];
  const toolNames = new Map<string, string>();
  req.messages.forEach((msg, i) => {
    learnToolNames(msg, toolNames);
    if (msg.role === 'tool') {
      const id = (msg as { tool_call_id?: unknown }).tool_call_id;
      if (!(typeof id === 'string' && toolNames.has(id)) && !msg.name) problems.push(`messages[${i}]: a tool result whose tool_call_id matches no earlier tool call; Gemini needs the function's name, sent as "unknown_tool"`);
      return;
    }
    if (msg.name) problems.push(`messages[${i}].name: not supported by Gemini, not sent`);
    if (!Array.isArray(msg.content)) return;
    const system = msg.role === 'system' || msg.role === 'developer';
    msg.content.forEach((p, j) => {
      const part = p as RawPart;
      if (system ? typeof part.text !== 'string' : toPart(part) === undefined) problems.push(`messages[${i}].content[${j}]: ${partProblem(part, system)}, not sent`);
    });
  });
  return problems;
}

function partProblem(p: RawPart, system: boolean): string {
  if (system) return `content part type "${p.type}" in a system message is not supported by Gemini (text only)`;
  if (p.type === 'image_url' || p.type === 'file') return 'a URL Gemini cannot take (a data: URL, or an http(s) URL ending in a known image/PDF extension)';
  return `content part type "${p.type}" is not supported by Gemini`;
}
