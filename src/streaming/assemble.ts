import type { ChatCompletion, Usage } from '../config/api';
import type { ChatChunk, ToolCallDelta } from './chunks';

interface ChoiceState {
  role?: string;
  content: string[];
  refusal: string[];
  toolCalls: Map<number, { id?: string; type?: string; name: string; arguments: string }>;
  finishReason?: string;
}

/**
 * Folds a chat stream's chunks into the one `chat.completion` the workflow records (history,
 * ledger, cost), exactly as a non-streamed call would have returned it. Pure.
 */
export class ChunkAssembler {
  private readonly choices = new Map<number, ChoiceState>();
  private id?: string;
  private created?: number;
  private model?: string;
  private systemFingerprint?: string;
  private usageSeen?: Usage;
  chunks = 0;

  add(chunk: ChatChunk): void {
    this.chunks++;
    this.id ??= chunk.id;
    this.created ??= chunk.created;
    this.model ??= chunk.model;
    if (chunk.system_fingerprint) this.systemFingerprint = chunk.system_fingerprint;
    if (chunk.usage) this.usageSeen = chunk.usage;
    for (const c of chunk.choices) {
      const s = this.choice(c.index);
      const d = c.delta ?? {};
      if (d.role) s.role = d.role;
      if (d.content) s.content.push(d.content);
      if (d.refusal) s.refusal.push(d.refusal);
      for (const t of d.tool_calls ?? []) mergeToolCall(s, t);
      if (c.finish_reason) s.finishReason = c.finish_reason;
    }
  }

  /** Every choice has its finish_reason: the answer is whole (whatever happens to `[DONE]`). */
  get finished(): boolean {
    return this.choices.size > 0 && [...this.choices.values()].every((c) => c.finishReason !== undefined);
  }

  get usage(): Usage | undefined {
    return this.usageSeen;
  }

  completion(): ChatCompletion {
    const choices = [...this.choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, s]) => ({ index, message: message(s), logprobs: null, finish_reason: s.finishReason ?? null }));
    return {
      id: this.id ?? 'chatcmpl-stream',
      object: 'chat.completion',
      created: this.created ?? Math.floor(Date.now() / 1000),
      model: this.model ?? 'unknown',
      choices,
      ...(this.usageSeen ? { usage: this.usageSeen } : {}),
      ...(this.systemFingerprint ? { system_fingerprint: this.systemFingerprint } : {}),
    };
  }

  private choice(index: number): ChoiceState {
    let s = this.choices.get(index);
    if (!s) {
      s = { content: [], refusal: [], toolCalls: new Map() };
      this.choices.set(index, s);
    }
    return s;
  }
}

/** Tool-call deltas arrive in pieces keyed by index: the first has id and name, the rest add arguments. */
function mergeToolCall(s: ChoiceState, t: ToolCallDelta): void {
  const call = s.toolCalls.get(t.index) ?? { name: '', arguments: '' };
  if (t.id) call.id = t.id;
  if (t.type) call.type = t.type;
  if (t.function?.name) call.name += t.function.name;
  if (t.function?.arguments) call.arguments += t.function.arguments;
  s.toolCalls.set(t.index, call);
}

function message(s: ChoiceState) {
  const toolCalls = [...s.toolCalls.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, c]) => ({ id: c.id ?? '', type: c.type ?? 'function', function: { name: c.name, arguments: c.arguments } }));
  const text = s.content.join('');
  return {
    role: s.role ?? 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
    refusal: s.refusal.length > 0 ? s.refusal.join('') : null,
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
  };
}
