import type { ChatMessage } from '../config/api';

/** One message as a reviewer reads it: its role and its text (text parts joined). */
export interface PromptLine {
  role: string;
  content: string;
}

/** Bounds on what the held-answer query carries (a query result travels in one gRPC message). */
export const PROMPT_MAX_MESSAGES = 50;
export const PROMPT_MAX_CHARS = 20_000;

/**
 * The prompt as the provider got it (already redacted when the route redacts), for the reviewer:
 * the last PROMPT_MAX_MESSAGES messages, each cut at PROMPT_MAX_CHARS with a marker saying so.
 * Pure and workflow-safe: no imports beyond types.
 */
export function promptForReview(messages: readonly ChatMessage[]): PromptLine[] {
  return messages.slice(-PROMPT_MAX_MESSAGES).map((m) => ({ role: m.role, content: cut(textOf(m)) }));
}

function textOf(m: ChatMessage): string {
  if (typeof m.content === 'string') return m.content;
  if (!Array.isArray(m.content)) return '';
  return m.content
    .map((part) => (part.type === 'text' && typeof part.text === 'string' ? part.text : `[${part.type}]`))
    .join('\n');
}

function cut(text: string): string {
  return text.length <= PROMPT_MAX_CHARS ? text : `${text.slice(0, PROMPT_MAX_CHARS)}… [${text.length - PROMPT_MAX_CHARS} more characters]`;
}
