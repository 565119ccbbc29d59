import { Context } from '@temporalio/activity';
import { SseDecoder } from '../../src/providers/sse';
import type { LedgerRow } from '../../src/temporal/contract';
import type { InActivity } from './ingredients';

/** Streamed chunks for the HTTP handler in this process, by workflow id (what Gatehouse's side channel does, minimally). */
export type ChunkSink = (workflowId: string, data: string) => void;

interface Completion {
  model?: string;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}

export function createFloorActivities(mockUrl: string, sink: ChunkSink, add: InActivity = {}) {
  return {
    /** BENCH_FLOOR_WITH=prepare: a second local activity with a small result, as admission-and-plan is one. */
    async prepare(body: Record<string, unknown>): Promise<{ model: string }> {
      return { model: String(body.model) };
    },
    /** Calls the provider; a streamed answer goes to the caller chunk by chunk and is returned whole. */
    async callProvider(body: Record<string, unknown>, credential?: string): Promise<unknown> {
      const id = Context.current().info.workflowExecution?.workflowId ?? '';
      // `seal`: the key hash is what admission authenticates with; opening it is the cost measured.
      if (add.keys?.opener) await add.keys.opener.open(credential, { workflowId: id, purpose: 'start' }, { startedAtMs: Date.now() });
      const started = Date.now();
      const answer = add.openai ? await viaSdk(add.openai, body, (data) => sink(id, data)) : await viaFetch(mockUrl, body, (data) => sink(id, data));
      if (add.ledger) await add.ledger.record(floorRow(id, answer as Completion, Date.now() - started));
      return answer;
    },
  };
}

async function viaFetch(mockUrl: string, body: Record<string, unknown>, chunk: (data: string) => void): Promise<unknown> {
  const res = await fetch(`${mockUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: Context.current().cancellationSignal,
  });
  if (!res.ok) throw new Error(`provider answered ${res.status}`);
  if (!body.stream) return res.json();
  const decoder = new SseDecoder();
  const utf8 = new TextDecoder();
  let text = '';
  for await (const piece of res.body as unknown as AsyncIterable<Uint8Array>) {
    for (const e of decoder.push(utf8.decode(piece, { stream: true }))) {
      chunk(e.data);
      if (e.data !== '[DONE]') text += (JSON.parse(e.data) as { choices?: Array<{ delta?: { content?: string } }> }).choices?.[0]?.delta?.content ?? '';
    }
  }
  return whole(text);
}

/** `sdk`: the call as the gateway's OpenAI adapter makes it (chunks re-serialized for the caller). */
async function viaSdk(client: import('openai').default, body: Record<string, unknown>, chunk: (data: string) => void): Promise<unknown> {
  const signal = Context.current().cancellationSignal;
  const params = body as unknown as import('openai').default.ChatCompletionCreateParams;
  if (!body.stream) return client.chat.completions.create({ ...params, stream: false }, { signal });
  const stream = await client.chat.completions.create({ ...params, stream: true }, { signal });
  let text = '';
  for await (const c of stream) {
    chunk(JSON.stringify(c));
    text += c.choices[0]?.delta?.content ?? '';
  }
  chunk('[DONE]');
  return whole(text);
}

function whole(text: string) {
  return { object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }] };
}

/** `ledger`: a completed row with the fields a plain answered request fills. */
function floorRow(requestId: string, c: Completion, latencyMs: number): LedgerRow {
  return {
    requestId, caller: 'floor', team: 'floor', task: 'chat', route: 'floor', model: c.model ?? 'floor', status: 'completed', errorCode: null,
    usage: c.usage ?? null, latencyMs, attempts: [{ model: c.model ?? 'floor', outcome: 'ok', try: 1, latencyMs }], explanation: 'floor', risk: 'low', dataClass: 'public', stage: 'stable',
  };
}

export type FloorActivities = ReturnType<typeof createFloorActivities>;
