import { statusQuery } from '../../workflows/definitions';
import { KEYS, auth, chat, hello, testConfig, type TestGateway } from './gateway';
import { waitFor } from './process';
import { streamChat } from './sse';

export type Mode = 'json' | 'stream';
export const MODES: Mode[] = ['json', 'stream'];

/** What the caller saw, the same way for a plain and a streamed request. */
export interface Seen {
  status: number;
  requestId: string;
  /** The model that answered (gateway name). */
  model?: string;
  text?: string;
  /** Error code: the JSON error's, or the stream's error event's. */
  code?: string;
  message?: string;
  /** Stream only: ended with [DONE] / with an error event after chunks. */
  done?: boolean;
  streamError?: boolean;
  usage?: { total_tokens: number };
  ms: number;
}

export async function ask(gw: TestGateway, task: string, mode: Mode, body: Record<string, unknown> = hello()): Promise<Seen> {
  const headers = { ...auth(KEYS.support), 'x-gatehouse-task': task };
  const started = Date.now();
  if (mode === 'json') {
    const res = await chat(gw.url, body, headers);
    const j = res.json;
    return {
      status: res.status,
      requestId: res.headers.get('x-gatehouse-request-id') ?? '',
      model: j.model,
      text: j.choices?.[0]?.message?.content,
      code: j.error?.code,
      message: j.error?.message,
      usage: j.usage,
      ms: Date.now() - started,
    };
  }
  const res = await streamChat(gw.url, { ...body, stream_options: { include_usage: true } }, headers);
  return {
    status: res.status,
    requestId: res.headers.get('x-gatehouse-request-id') ?? '',
    model: res.events.find((e) => e.model)?.model,
    text: res.json ? undefined : res.text,
    code: res.json?.error?.code ?? res.error?.code,
    message: res.json?.error?.message ?? res.error?.message,
    done: res.done,
    streamError: res.error !== undefined,
    usage: res.events.at(-1)?.usage ?? undefined,
    ms: res.totalMs,
  };
}

export interface Attempt {
  model: string;
  outcome: 'ok' | 'failed';
  error?: string;
  message?: string;
  status?: number;
  try?: number;
  retryInMs?: number;
  adapted?: string;
}

/**
 * The request's ledger row, once written, with the attempts as the workflow recorded them (the
 * status query: the ledger keeps no provider error text, the encrypted history does).
 */
export async function recorded(gw: TestGateway, requestId: string) {
  await waitFor(async () => (await gw.ledger.get(requestId)) !== undefined, 10_000, `ledger row of ${requestId}`);
  const row = (await gw.ledger.get(requestId))!;
  const { attempts } = await gw.client.workflow.getHandle(requestId).query(statusQuery);
  return { ...row, attempts: attempts as Attempt[] };
}

/** A config whose every route is its own task, all open to the `support` caller. */
export function failureConfig(models: Record<string, string>, routes: Array<{ name: string } & Record<string, unknown>>) {
  return (mockUrl: string) => {
    const base = testConfig(mockUrl) as Record<string, any>;
    const modelTable: Record<string, unknown> = { backup: { provider: 'mock', upstream: 'mock-backup' } };
    for (const [name, upstream] of Object.entries(models)) modelTable[name] = { provider: 'mock', upstream };
    const withTasks = routes.map((r) => ({ match: { task: r.name }, timeout: '5s', ...r }));
    base.callers.support.tasks = withTasks.map((r) => r.name);
    delete base.callers.support.defaultTask;
    delete base.callers.analyst;
    return { ...base, models: modelTable, routes: withTasks };
  };
}
