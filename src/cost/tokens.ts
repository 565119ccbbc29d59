import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base';
import type { ChatMessage } from '../config/api';

/**
 * Prompt token estimates for admission (rate limits, budgets). An estimate, not the bill: the
 * provider's reported usage is what gets settled.
 *
 * Chat overhead follows OpenAI's published recipe (cookbook "How to count tokens"): every message
 * costs 3 tokens of framing (`<|im_start|>role<|im_sep|>…<|im_end|>`) plus its role and content,
 * a `name` costs 1 more, and every reply is primed with 3 tokens (`<|im_start|>assistant<|im_sep|>`).
 * This matches gpt-tokenizer's own `encodeChat` for gpt-4o. Other vendors' tokenizers differ by
 * some percent; for admission that is close enough.
 */
export const TOKENS_PER_MESSAGE = 3;
export const TOKENS_PER_NAME = 1;
export const REPLY_PRIMING_TOKENS = 3;
/** An image part counts as a 1024×1024 high-detail image (85 base + 4 tiles × 170) — the common case. */
export const IMAGE_PART_TOKENS = 765;

type CountFn = (text: string) => number;

/** gpt-4 / gpt-3.5 era models use cl100k_base; everything newer (and non-OpenAI models) gets o200k_base. */
export function tokenizerFor(model?: string): CountFn {
  const m = (model ?? '').toLowerCase();
  const legacy = /^(gpt-3\.5|gpt-35|gpt-4(?![o.\d]))/.test(m);
  return bounded(legacy ? countCl100k : countO200k);
}

/**
 * BPE is quadratic in the length of one pre-tokenizer piece, and a piece is a whole unbroken run
 * ("é" × 32k took 2 s, a 1.5 MB run minutes). So no piece the tokenizer sees is longer than
 * MAX_RUN: text is cut where whitespace starts (the tokenizer's own piece boundary, so the count is
 * unchanged there) and runs without one are cut every MAX_RUN characters (at most one token more
 * per cut; real tokens are far shorter). Chunks of up to MAX_CHUNK keep the per-call cost small.
 */
export const MAX_RUN = 64;
const MAX_CHUNK = 4096;

function bounded(count: CountFn): CountFn {
  return (text) => {
    if (text.length <= MAX_RUN) return count(text);
    let n = 0;
    for (const chunk of boundedChunks(text)) n += count(chunk);
    return n;
  };
}

/** Linear: one pass; chunks of about MAX_CHUNK at most, none holding a whitespace-free run longer than MAX_RUN. */
export function* boundedChunks(text: string, maxRun = MAX_RUN, maxChunk = MAX_CHUNK): Generator<string> {
  let start = 0; // current chunk
  let cut = 0; // last cut point in the chunk (start of a whitespace run)
  for (let i = 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isSpace(c) && !isSpace(text.charCodeAt(i - 1))) {
      cut = i;
    } else if (i - cut >= maxRun && !isLowSurrogate(c)) {
      // A run with no whitespace: cut it here (never inside a surrogate pair).
      yield text.slice(start, i);
      start = cut = i;
      continue;
    }
    if (i - start >= maxChunk && cut > start) {
      yield text.slice(start, cut);
      start = cut;
    }
  }
  yield text.slice(start);
}

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** cl100k's tables cost ~20 MB of memory: loaded only when a legacy model is first estimated. */
let cl100k: CountFn | undefined;
function countCl100k(text: string): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load is the point
  cl100k ??= (require('gpt-tokenizer/encoding/cl100k_base') as { countTokens: CountFn }).countTokens;
  return cl100k(text);
}

/** Estimated prompt tokens of a chat request (messages as the OpenAI API takes them). */
export function estimateTokens(messages: readonly ChatMessage[], model?: string): number {
  const count = tokenizerFor(model);
  let total = REPLY_PRIMING_TOKENS;
  for (const msg of messages) total += messageTokens(msg, count);
  return total;
}

function messageTokens(msg: ChatMessage, count: CountFn): number {
  let n = TOKENS_PER_MESSAGE + count(msg.role) + contentTokens(msg.content, count);
  if (msg.name) n += TOKENS_PER_NAME + count(msg.name);
  // Assistant tool calls travel as JSON next to the content; count their serialized form.
  const toolCalls = (msg as { tool_calls?: unknown }).tool_calls;
  if (toolCalls !== undefined) n += count(JSON.stringify(toolCalls));
  return n;
}

function contentTokens(content: ChatMessage['content'], count: CountFn): number {
  if (typeof content === 'string') return count(content);
  if (!Array.isArray(content)) return 0;
  let n = 0;
  for (const part of content) {
    if (typeof part.text === 'string') n += count(part.text);
    else if (part.type === 'image_url' || part.type === 'input_image') n += IMAGE_PART_TOKENS;
    else n += count(JSON.stringify(part));
  }
  return n;
}
