import { conductOf } from '../failures/table';
import type { ChatCompletion, ChatCompletionRequest, Usage } from '../config/api';

/**
 * Continuation: a stream that broke after the caller saw part of the answer is finished by another
 * try (the same model, then fallbacks), asked to continue from exactly the text the caller already
 * has (an assistant prefill), so the caller gets one whole answer. Pure: shared by the workflow
 * (decisions) and the provider activity (request and answer shapes).
 */

/** What a broken try had delivered, counted from the request's start (earlier continued parts included). */
export interface DeliveredPart {
  /** The answer text the caller has (choice 0). */
  text: string;
  /** Chunks that reached the caller. */
  chunks: number;
  /** Only a plain text answer can be continued (no tool call, refusal or second choice). */
  continuable: boolean;
  /** Usage of every broken try so far; estimated where the provider never reported it. */
  usage: Usage;
  usageEstimated: boolean;
}

/** The one decision: may this failure be continued on another try? (Not: on which model.) */
export function mayContinue(type: string, delivered: DeliveredPart | undefined, routeAllows: boolean): delivered is DeliveredPart {
  // Any failure after delivery arrives as StreamInterrupted (classifyUpstreamError); its row says whether it may be continued.
  return routeAllows && conductOf(type).continuation && delivered?.continuable === true && delivered.text.length > 0;
}

/** May this model be asked to continue? Declared by the catalogue, unless it refused a prefill in this request. */
export function canContinueOn(candidate: { model: string; prefill?: boolean }, refused: ReadonlySet<string>): boolean {
  return candidate.prefill === true && !refused.has(candidate.model);
}

/**
 * The request that continues `text`: the caller's messages and an assistant prefill of the text. A
 * caller's own trailing prefill is extended (the model continued after it, so the caller never saw it).
 */
export function withContinuation(body: ChatCompletionRequest, text: string): ChatCompletionRequest {
  const last = body.messages.at(-1);
  if (body.messages.length > 1 && last?.role === 'assistant' && typeof last.content === 'string') {
    return { ...body, messages: [...body.messages.slice(0, -1), { ...last, content: last.content + text }] };
  }
  return { ...body, messages: [...body.messages, { role: 'assistant', content: text }] };
}

/** The continuation's answer joined to what was delivered before it: one answer, both tries' usage. */
export function joinContinuation(completion: ChatCompletion, before: DeliveredPart): ChatCompletion {
  const choices = completion.choices.map((c) => {
    if (c.index !== 0) return c;
    const message = c.message as { content?: string | null };
    return { ...c, message: { ...c.message, content: before.text + (message.content ?? '') } };
  });
  return { ...completion, choices, usage: addUsage(before.usage, completion.usage) };
}

export function addUsage(a: Usage, b: Usage | undefined): Usage {
  if (!b) return a;
  const prompt = a.prompt_tokens + b.prompt_tokens;
  const completion = a.completion_tokens + b.completion_tokens;
  return { ...b, prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export const NO_USAGE: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };

/** The warning a continued answer carries when a broken try's usage had to be estimated. */
export const ESTIMATED_USAGE_WARNING = 'usage of the interrupted try is estimated (the provider never reported it); the continuation\'s is the provider\'s';
