import { decisionDigest, hashApiKey } from '../../src/auth';
import { KEYS, testConfig, type TestGateway } from './gateway';

/** Reviewer keys: alice reviews `draft` (and the deadline routes), bob reviews `contract`, carol is the escalation group. */
export const REVIEWER_KEYS = {
  alice: 'test-key-alice-reviewer-0123456789',
  bob: 'test-key-bob-reviewer-0123456789ab',
  carol: 'test-key-carol-oncall-0123456789ab',
};

export const REVIEW_TASKS = ['chat', 'summarize', 'draft', 'contract', 'late-reject', 'late-approve', 'late-escalate'];

/** The standard test config plus reviewed routes and reviewers; `extra` may patch the object further. */
export function reviewConfig(mockUrl: string, extra: (c: any) => void = () => {}): Record<string, unknown> {
  const c: any = testConfig(mockUrl);
  c.callers.support.tasks = REVIEW_TASKS;
  Object.assign(c.callers, {
    alice: { team: 'legal', roles: ['reviewer'], reviews: ['draft', 'late-reject', 'late-approve'], keyHash: hashApiKey(REVIEWER_KEYS.alice) },
    bob: { team: 'sales', roles: ['reviewer'], reviews: ['contract'], keyHash: hashApiKey(REVIEWER_KEYS.bob) },
    carol: { team: 'oncall', roles: ['reviewer'], keyHash: hashApiKey(REVIEWER_KEYS.carol) },
  });
  const route = (name: string, review: Record<string, unknown>) => ({ name, match: { task: name }, primary: 'small', timeout: '5s', retries: 0, review });
  c.routes.push(
    route('draft', { when: 'always', deadline: '1h' }),
    route('contract', { when: ['always'], deadline: '1h' }),
    route('late-reject', { when: 'always', deadline: '2s', onTimeout: 'reject' }),
    route('late-approve', { when: 'always', deadline: '2s', onTimeout: 'approve' }),
    route('late-escalate', { when: 'always', deadline: '3s', onTimeout: 'escalate', reviewers: ['alice'], escalateTo: ['oncall'] }),
  );
  extra(c);
  return c;
}

export const asSupport = { authorization: `Bearer ${KEYS.support}` };
export const asReviewer = (name: keyof typeof REVIEWER_KEYS) => ({ authorization: `Bearer ${REVIEWER_KEYS[name]}` });

/** fetch with JSON in and out, for the admin and requests APIs. */
export async function api(url: string, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** Polls GET /v1/requests/{id} as the caller until the request has finished. */
export async function finalView(url: string, id: string, headers = asSupport, timeoutMs = 20_000): Promise<any> {
  let view: any;
  await waitForAsync(async () => {
    view = (await api(url, 'GET', `/v1/requests/${id}`, headers)).json;
    return view?.status !== 'running' && view?.status !== 'awaiting_review';
  }, timeoutMs, `request ${id} to finish`);
  return view;
}

export async function waitForAsync(pred: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  let done = false;
  const until = Date.now() + timeoutMs;
  while (!(done = await pred()) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  if (!done) throw new Error(`timed out waiting for ${what}`);
}

/** A decision as a raw Temporal client (or the UI, through /codec/encode) would send it: the key sealed like the review API seals it. */
export async function sealedDecision(gw: TestGateway, id: string, rawKey: string, decision: { action: 'approve' | 'edit' | 'reject'; comment?: string; content?: string; reason?: string }) {
  const credential = await gw.starter.sealer!.seal(rawKey, { workflowId: id, purpose: 'review', decisionDigest: decisionDigest(decision) });
  return { ...decision, credential };
}
