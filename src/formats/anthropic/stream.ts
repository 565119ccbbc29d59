import type { GatewayError } from '../../errors';
import { completionToChunks, type ChatChunk } from '../../streaming/chunks';
import type { SseEvent, StreamPresenter } from '../../streaming/presenter';
import type { GatewayResponse } from '../../temporal/contract';
import { anthropicErrorBody } from './errors';
import { messageId, stopOf, toAnthropicUsage, toolInput } from './response';

interface PendingTool {
  id: string;
  name: string;
  args: string;
}

/**
 * The internal chunks as Anthropic's Messages stream: `message_start`, per content block
 * `content_block_start` / `_delta` / `_stop`, then `message_delta` (stop reason, usage) and
 * `message_stop`. Text streams live. Tool calls are gathered and sent whole when the answer ends (one
 * `input_json_delta` each), so their `input` is checked JSON exactly as in a non-streamed answer.
 * Input tokens are known only at the end: `message_start` says 0 and `message_delta` the totals
 * (the SDK overwrites its counters with them).
 */
export class AnthropicStreamPresenter implements StreamPresenter {
  private started = false;
  private blocks = 0;
  private textOpen = false;
  private refused = false;
  private finishReason?: string | null;
  private readonly tools = new Map<number, PendingTool>();

  chunk(chunk: ChatChunk, model: string): SseEvent[] {
    const out: SseEvent[] = [];
    if (!this.started) out.push(this.start(chunk.id ?? 'stream', model));
    for (const c of chunk.choices) {
      if (c.index !== 0) continue; // one answer per Message (Anthropic has no `n`)
      const d = c.delta ?? {};
      if (d.refusal) this.refused = true;
      const text = (d.content ?? '') + (d.refusal ?? '');
      if (text) out.push(...this.text(text));
      for (const t of d.tool_calls ?? []) {
        const tool = this.tools.get(t.index) ?? { id: '', name: '', args: '' };
        if (t.id) tool.id = t.id;
        if (t.function?.name) tool.name += t.function.name;
        if (t.function?.arguments) tool.args += t.function.arguments;
        this.tools.set(t.index, tool);
      }
      if (c.finish_reason) this.finishReason = c.finish_reason;
    }
    return out;
  }

  finish(result: GatewayResponse, replay: boolean): SseEvent[] {
    const model = result.gatehouse.model;
    const out: SseEvent[] = [];
    if (replay) for (const c of completionToChunks(result, { model, includeUsage: false })) out.push(...this.chunk(c, model));
    if (!this.started) out.push(this.start(result.id, model));
    out.push(...this.closeText());
    for (const [, t] of [...this.tools.entries()].sort(([a], [b]) => a - b)) out.push(...this.toolBlock(t));
    // The workflow's answer is the record (the same choice, assembled from these chunks): its stop decides.
    const delta = stopOf(result.choices[0] ?? { finish_reason: this.finishReason }, this.refused, this.tools.size > 0);
    out.push({ event: 'message_delta', data: { type: 'message_delta', delta, usage: toAnthropicUsage(result.usage) } });
    out.push({ event: 'message_stop', data: { type: 'message_stop' } });
    return out;
  }

  error(err: GatewayError): SseEvent {
    return { event: 'error', data: anthropicErrorBody(err) };
  }

  private start(id: string, model: string): SseEvent {
    this.started = true;
    const usage = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: null, cache_read_input_tokens: null };
    const message = { id: messageId(id), type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage };
    return { event: 'message_start', data: { type: 'message_start', message } };
  }

  private text(text: string): SseEvent[] {
    const out: SseEvent[] = [];
    if (!this.textOpen) {
      this.textOpen = true;
      out.push({ event: 'content_block_start', data: { type: 'content_block_start', index: this.blocks, content_block: { type: 'text', text: '', citations: null } } });
    }
    out.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index: this.blocks, delta: { type: 'text_delta', text } } });
    return out;
  }

  private closeText(): SseEvent[] {
    if (!this.textOpen) return [];
    this.textOpen = false;
    return [this.stop()];
  }

  private toolBlock(t: PendingTool): SseEvent[] {
    const index = this.blocks;
    const id = t.id || `toolu_${index}`;
    const { input } = toolInput(t.args);
    return [
      { event: 'content_block_start', data: { type: 'content_block_start', index, content_block: { type: 'tool_use', id, name: t.name, input: {} } } },
      { event: 'content_block_delta', data: { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(input) } } },
      this.stop(),
    ];
  }

  private stop(): SseEvent {
    return { event: 'content_block_stop', data: { type: 'content_block_stop', index: this.blocks++ } };
  }
}
