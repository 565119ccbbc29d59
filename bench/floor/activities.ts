import { Context } from '@temporalio/activity';
import { SseDecoder } from '../../src/providers/sse';

/** Streamed chunks for the HTTP handler in this process, by workflow id (what Gatehouse's side channel does, minimally). */
export type ChunkSink = (workflowId: string, data: string) => void;

export function createFloorActivities(mockUrl: string, sink: ChunkSink) {
  return {
    /** BENCH_FLOOR_WITH=prepare: a second local activity with a small result, as admission-and-plan is one. */
    async prepare(body: Record<string, unknown>): Promise<{ model: string }> {
      return { model: String(body.model) };
    },
    /** Calls the provider; a streamed answer goes to the caller chunk by chunk and is returned whole. */
    async callProvider(body: Record<string, unknown>): Promise<unknown> {
      const res = await fetch(`${mockUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: Context.current().cancellationSignal,
      });
      if (!res.ok) throw new Error(`provider answered ${res.status}`);
      if (!body.stream) return res.json();
      const id = Context.current().info.workflowExecution?.workflowId ?? '';
      const decoder = new SseDecoder();
      const utf8 = new TextDecoder();
      let text = '';
      for await (const piece of res.body as unknown as AsyncIterable<Uint8Array>) {
        for (const e of decoder.push(utf8.decode(piece, { stream: true }))) {
          sink(id, e.data);
          if (e.data !== '[DONE]') text += (JSON.parse(e.data) as { choices?: Array<{ delta?: { content?: string } }> }).choices?.[0]?.delta?.content ?? '';
        }
      }
      return { object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }] };
    },
  };
}

export type FloorActivities = ReturnType<typeof createFloorActivities>;
