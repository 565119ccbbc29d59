import type { ChatMessage } from '../config/api';
import { detectSensitive, redact, type Finding } from './sensitivity';

/**
 * Every text a message carries to the provider, in a fixed order: its string content, or the `text`
 * of each text part (what `/v1/messages` blocks and OpenAI content arrays become), then each tool
 * call's arguments. Screening and redaction walk exactly these, so no text reaches a provider unseen.
 */
export function messageTexts(m: ChatMessage): string[] {
  const texts: string[] = [];
  if (typeof m.content === 'string') texts.push(m.content);
  else if (Array.isArray(m.content)) for (const part of m.content) if (isTextPart(part)) texts.push(part.text);
  for (const call of toolCalls(m)) texts.push(call.function.arguments);
  return texts;
}

/** Findings of one message; `piece` says which of `messageTexts` each is in (absent: the first). */
export function detectInMessage(m: ChatMessage): Finding[] {
  return messageTexts(m).flatMap((text, piece) => detectSensitive(text).map((f) => (piece === 0 ? f : { ...f, piece })));
}

/** The message with every finding replaced by its marker, piece by piece (linear: findings grouped once). */
export function redactMessage(m: ChatMessage, findings: readonly Finding[]): ChatMessage {
  if (findings.length === 0) return m;
  const byPiece = new Map<number, Finding[]>();
  for (const f of findings) {
    const list = byPiece.get(f.piece ?? 0);
    if (list) list.push(f);
    else byPiece.set(f.piece ?? 0, [f]);
  }
  let piece = 0;
  const next = (text: string) => {
    const found = byPiece.get(piece++);
    return found ? redact(text, found) : text;
  };
  const content = typeof m.content === 'string' ? next(m.content) : Array.isArray(m.content) ? m.content.map((p) => (isTextPart(p) ? { ...p, text: next(p.text) } : p)) : m.content;
  const calls = toolCalls(m);
  const out: ChatMessage = { ...m, content };
  if (calls.length > 0) (out as { tool_calls?: unknown }).tool_calls = calls.map((c) => ({ ...c, function: { ...c.function, arguments: next(c.function.arguments) } }));
  return out;
}

function isTextPart(p: unknown): p is { type: 'text'; text: string } {
  return typeof p === 'object' && p !== null && (p as { type?: unknown }).type === 'text' && typeof (p as { text?: unknown }).text === 'string';
}

interface ToolCall {
  function: { arguments: string };
}

function toolCalls(m: ChatMessage): ToolCall[] {
  const calls = (m as { tool_calls?: unknown }).tool_calls;
  if (!Array.isArray(calls)) return [];
  return calls.filter((c): c is ToolCall => typeof (c as ToolCall | null)?.function?.arguments === 'string');
}
