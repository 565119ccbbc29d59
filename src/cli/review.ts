import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/**
 * `gatehouse review list | show | approve | edit | reject`: a thin client of the gateway's review
 * API (`/admin/reviews…`), so it needs only the gateway's URL and a reviewer key, never Temporal
 * access or the payload codec key. GATEHOUSE_URL (default http://127.0.0.1:$GATEHOUSE_PORT or 8080)
 * and GATEHOUSE_KEY (the reviewer's API key).
 */
export const REVIEW_USAGE = `gatehouse review <command>   (GATEHOUSE_URL, GATEHOUSE_KEY = a reviewer key)

  list                                      held requests you may review
  show <id>                                 the held answer, why it was held, validation findings
  approve <id> [--comment text]             release the answer as it is
  edit <id> (--content text | --content-file path) [--comment text]
                                            release your text instead of the model's
  reject <id> --reason text [--comment text]
                                            the caller gets 422 review_rejected with the reason
  add --json to print the API's JSON
`;

type Out = (line: string) => void;

interface ApiError {
  error?: { message?: string; code?: string };
}

export async function runReviewCommand(argv: string[], env: NodeJS.ProcessEnv = process.env, out: Out = console.log, err: Out = console.error): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { comment: { type: 'string' }, content: { type: 'string' }, 'content-file': { type: 'string' }, reason: { type: 'string' }, json: { type: 'boolean' } },
  });
  const [command, id] = positionals;
  const key = env.GATEHOUSE_KEY;
  if (!command || command === 'help') return usage(err, command === 'help' ? 0 : 2);
  if (!key) return fail(err, 'set GATEHOUSE_KEY to your reviewer API key');
  const api = new ReviewApi(env.GATEHOUSE_URL ?? `http://127.0.0.1:${env.GATEHOUSE_PORT ?? 8080}`, key);
  if (command === 'list') return print(out, err, await api.call('GET', '/admin/reviews'), values.json ? json : listing);
  if (!id || !['show', 'approve', 'edit', 'reject'].includes(command)) return usage(err, 2);
  const path = `/admin/reviews/${encodeURIComponent(id)}`;
  if (command === 'show') return print(out, err, await api.call('GET', path), values.json ? json : details);
  const body = decisionBody(command, values);
  if (typeof body === 'string') return fail(err, body);
  return print(out, err, await api.call('POST', `${path}/${command}`, body), values.json ? json : decided);
}

function decisionBody(command: string, v: { comment?: string; content?: string; 'content-file'?: string; reason?: string }): Record<string, string> | string {
  const body: Record<string, string> = v.comment ? { comment: v.comment } : {};
  if (command === 'edit') {
    const content = v.content ?? (v['content-file'] ? readFileSync(v['content-file'], 'utf8') : undefined);
    if (!content) return 'edit needs --content text or --content-file path';
    body.content = content;
  }
  if (command === 'reject') {
    if (!v.reason) return 'reject needs --reason (the caller is told)';
    body.reason = v.reason;
  }
  return body;
}

class ReviewApi {
  constructor(
    private readonly baseUrl: string,
    private readonly key: string,
  ) {}

  async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const res = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: { authorization: `Bearer ${this.key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    try {
      return { status: res.status, json: JSON.parse(text) };
    } catch {
      return { status: res.status, json: { error: { message: text } } };
    }
  }
}

function print(out: Out, err: Out, res: { status: number; json: any }, format: (json: any) => string): number {
  if (res.status >= 400) {
    const e = (res.json as ApiError).error;
    return fail(err, `${res.status} ${e?.code ?? 'error'}: ${e?.message ?? 'request failed'}`);
  }
  out(format(res.json));
  return 0;
}

const json = (j: unknown) => JSON.stringify(j, null, 2);

function listing(j: { data: Array<Record<string, any>> }): string {
  if (j.data.length === 0) return 'No requests waiting for your review.';
  const rows = j.data.map((r) => `${r.id}  ${r.route}  ${r.caller}  held ${r.held_at ?? '?'}  deadline ${r.deadline_at ?? '?'}${r.phase === 'escalated' ? '  (escalated)' : ''}  ${(r.reasons ?? []).join('; ')}`);
  return [`${j.data.length} waiting:`, ...rows].join('\n');
}

function details(j: Record<string, any>): string {
  return [
    `${j.id}  route ${j.route}  caller ${j.caller}  task ${j.task}  model ${j.model}`,
    `held ${j.review?.heldAt} (${(j.review?.reasons ?? []).join('; ')}), deadline ${j.review?.deadlineAt}${j.review?.phase === 'escalated' ? ' (escalated)' : ''}`,
    `validation: ${j.validation ? j.validation.summary : 'none configured'}`,
    '--- answer ---',
    j.content,
  ].join('\n');
}

function decided(j: { id: string; decision: Record<string, any> }): string {
  return `${j.id}: ${j.decision.action} by ${j.decision.by} at ${j.decision.at}`;
}

function usage(err: Out, code: number): number {
  err(REVIEW_USAGE);
  return code;
}

function fail(err: Out, message: string): number {
  err(`gatehouse review: ${message}`);
  return 1;
}
