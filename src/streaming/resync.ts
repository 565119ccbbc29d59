import type { ChatCompletion } from '../config/api';
import type { GatewayResponse } from '../temporal/contract';
import type { ChatChunk } from './chunks';

/**
 * When the relay lost track of a live stream (a gap, or the workflow's answer arrived before the
 * try's last messages), the caller has part of the answer and the rest must come from the workflow's
 * result, never a guess. Pure.
 *
 * The rest may be sent only when it provably continues what the caller has: the answer came from
 * the try the caller was shown (or from continuations of it, which carry on its text), it is one
 * text choice, and what was shown is exactly its beginning. Then the result is one chunk with the
 * remaining text and the finish reason (`'none'` when the shown part already finished); anything
 * else is undefined, and the caller gets the interrupted-stream error instead of a spliced answer.
 */
export function remainderAfter(shown: ChatCompletion, result: GatewayResponse, shownAttempt: number): ChatChunk | 'none' | undefined {
  if (!answeredBy(result, shownAttempt)) return undefined;
  const had = shown.choices[0];
  const whole = result.choices[0];
  if (result.choices.length !== 1 || shown.choices.length > 1 || !whole) return undefined;
  const hadText = plainText(had?.message);
  const wholeText = plainText(whole.message);
  if (hadText === undefined || wholeText === undefined || !wholeText.startsWith(hadText)) return undefined;
  if (had?.finish_reason) return hadText === wholeText ? 'none' : undefined;
  return {
    id: shown.id,
    object: 'chat.completion.chunk',
    created: shown.created,
    model: shown.model,
    choices: [{ index: 0, delta: { content: wholeText.slice(hadText.length) }, logprobs: null, finish_reason: whole.finish_reason ?? 'stop' }],
  };
}

/** The answering try is `attempt`, or a chain of continuations right after it. */
function answeredBy(result: GatewayResponse, attempt: number): boolean {
  const tries = result.gatehouse?.attempts ?? [];
  let answering = tries.length;
  while (answering > 0 && tries[answering - 1]!.outcome !== 'ok') answering--;
  if (answering < attempt) return false;
  return tries.slice(attempt, answering).every((a) => a.adapted === 'continuation');
}

/** The message's text when it is text only (no tool call, no refusal); undefined otherwise. */
function plainText(message: unknown): string | undefined {
  if (message === undefined) return '';
  const m = message as { content?: unknown; refusal?: unknown; tool_calls?: unknown[] };
  if (m.refusal || (m.tool_calls?.length ?? 0) > 0) return undefined;
  return typeof m.content === 'string' ? m.content : m.content == null ? '' : undefined;
}
