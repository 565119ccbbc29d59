import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { hashApiKey } from '../../src/auth';
import { FeedbackStore } from '../../src/store/feedback';
import { GatehouseSearch } from '../../src/temporal/searchAttributes';
import { KEYS, auth, chat, hello, send, startTestGateway, testConfig, type Sent, type TestGateway } from '../helpers/gateway';

const ADMIN_KEY = 'test-key-admin-0123456789abcdef0';
const EDITED = 'The end user rewrote the answer like this: feedback-edit-4d2a';
const COMMENT = 'too formal, feedback-comment-8c1b';

const config = (mockUrl: string) => {
  const c = testConfig(mockUrl) as { callers: Record<string, unknown> };
  c.callers.root = { team: 'ops', roles: ['admin'], keyHash: hashApiKey(ADMIN_KEY) };
  return c;
};

const series = (page: string, name: string, labels: Record<string, string>) => {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = page.split('\n').find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

describe('POST /v1/requests/{id}/feedback: the end user\'s verdict in the ledger, the history, the metrics and the canary report', () => {
  let gw: TestGateway;
  let store: FeedbackStore;
  let first: string;
  let second: string;
  const feedback = (id: string, body: unknown, key = KEYS.support): Promise<Sent> =>
    send(gw.url, `/v1/requests/${encodeURIComponent(id)}/feedback`, typeof body === 'string' ? body : JSON.stringify(body), { 'content-type': 'application/json', ...auth(key) });
  const answered = async () => {
    const res = await chat(gw.url, hello('Draft a reply'), { ...auth(KEYS.support), 'x-gatehouse-task': 'chat' });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    return res.json.gatehouse.request_id as string;
  };

  before(async () => {
    gw = await startTestGateway({ config });
    store = new FeedbackStore(gw.db);
    first = await answered();
    second = await answered();
  });
  after(async () => {
    await gw?.close();
  });

  it('only the caller that made the request may give feedback: anyone else gets the 404 of an unknown id', async () => {
    const other = await feedback(first, { outcome: 'accepted' }, KEYS.analyst);
    const unknown = await feedback('req-never-was', { outcome: 'accepted' }, KEYS.analyst);
    assert.equal(other.status, 404);
    assert.deepEqual(other.json, { ...unknown.json, error: { ...unknown.json.error, message: other.json.error.message } });
    assert.equal(other.json.error.code, 'request_not_found');
    assert.equal((await feedback(first, { outcome: 'accepted' }, ADMIN_KEY)).status, 403, 'the caller role is needed');
    assert.equal(await store.get(first), undefined);
  });

  it('a bad body is a 400 naming the field, an oversized one a 413; nothing is recorded', async () => {
    for (const [body, param] of [
      [{ outcome: 'meh' }, 'outcome'],
      [{ outcome: 'edited' }, 'edited_text'],
      [{ outcome: 'accepted', edited_text: 'x' }, 'edited_text'],
      [{ outcome: 'accepted', score: 4 }, 'score'],
      [{ outcome: 'accepted', extra: true }, ''],
      [{ outcome: 'rejected', comment: 'c'.repeat(2001) }, 'comment'],
    ] as const) {
      const res = await feedback(first, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.json.error.code, 'invalid_request');
      if (param) assert.equal(res.json.error.param, param, JSON.stringify(res.json));
    }
    const huge = await feedback(first, { outcome: 'edited', edited_text: 'e'.repeat(200_000) });
    assert.equal(huge.status, 413);
    assert.equal(await store.get(first), undefined);
  });

  it('records the latest feedback per request in the ledger (facts only), and counts every one in the metrics', async () => {
    const ok = await feedback(first, { outcome: 'accepted', score: 0.9 });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.equal(ok.json.object, 'gatehouse.feedback');
    assert.equal(ok.json.request_id, first);
    assert.equal(ok.json.outcome, 'accepted');
    assert.equal((await store.get(first))?.outcome, 'accepted');
    const edited = await feedback(first, { outcome: 'edited', edited_text: EDITED, score: 0.5, comment: COMMENT });
    assert.equal(edited.status, 200, JSON.stringify(edited.json));
    const row = (await store.get(first))!;
    assert.deepEqual(
      { caller: row.caller, team: row.team, route: row.route, model: row.model, outcome: row.outcome, score: row.score, edited: row.edited_chars, commented: row.commented, updates: row.updates },
      { caller: 'support', team: 'support', route: 'chat', model: 'small', outcome: 'edited', score: 0.5, edited: EDITED.length, commented: 1, updates: 2 },
    );
    assert.equal((await feedback(second, { outcome: 'rejected', score: 0 })).status, 200);
    const page = await (await fetch(`${gw.url}/metrics`, { headers: auth(ADMIN_KEY) })).text();
    for (const outcome of ['accepted', 'edited', 'rejected']) assert.equal(series(page, 'gatehouse_feedback_total', { route: 'chat', model: 'small', outcome }), 1, outcome);
  });

  it('keeps the edited text and comment only in the feedback workflow\'s encrypted history, one run per feedback', async () => {
    const handle = gw.client.workflow.getHandle(`${first}/feedback`);
    const desc = await handle.describe();
    assert.equal(desc.status.name, 'COMPLETED');
    assert.equal(desc.typedSearchAttributes.get(GatehouseSearch.caller), 'support');
    assert.equal(desc.typedSearchAttributes.get(GatehouseSearch.model), 'small');
    const events = (await handle.fetchHistory()).events ?? [];
    const history = JSON.stringify(events);
    assert.ok(!history.includes(EDITED) && !history.includes('feedback-edit-4d2a') && !history.includes(COMMENT), 'never in clear');
    const input = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    assert.equal(Buffer.from(input?.metadata?.encoding ?? []).toString(), 'binary/encrypted');
    const [opened] = await gw.client.options.loadedDataConverter.payloadCodecs[0]!.decode([input!]);
    const decoded = JSON.parse(Buffer.from(opened!.data!).toString()) as { feedback: { edited_text: string; comment: string } };
    assert.deepEqual([decoded.feedback.edited_text, decoded.feedback.comment], [EDITED, COMMENT], 'the codec opens them');
    const runs = async () => {
      let n = 0;
      for await (const wf of gw.client.workflow.list({ query: `WorkflowId = "${first}/feedback"` })) n += wf.status.name === 'COMPLETED' ? 1 : 0;
      return n;
    };
    for (let i = 0; i < 50 && (await runs()) < 2; i++) await new Promise((ok) => setTimeout(ok, 200)); // visibility catches up
    assert.equal(await runs(), 2, 'the trail: accepted, then edited');
    for (const path of [`/v1/requests/${encodeURIComponent(`${first}/feedback`)}`, `/v1/requests/${encodeURIComponent(`${first}/feedback`)}/feedback`]) {
      const res = await send(gw.url, path, path.endsWith('/feedback/feedback') ? '{"outcome":"accepted"}' : undefined, { ...auth(KEYS.support), 'content-type': 'application/json' }, path.endsWith('/feedback/feedback') ? 'POST' : 'GET');
      assert.equal(res.status, 404, `${path}: the feedback workflow is no request of its own`);
    }
    for (const f of [join(gw.dir, 'ledger.db'), join(gw.dir, 'ledger.db-wal')].filter(existsSync)) {
      const bytes = readFileSync(f);
      assert.ok(!bytes.includes('feedback-edit-4d2a') && !bytes.includes('feedback-comment-8c1b'), `${f} holds feedback text`);
    }
  });

  it('refuses feedback on a request without an answer (409)', async () => {
    const refused = await chat(gw.url, hello('no route for this'), { ...auth(KEYS.support), 'x-gatehouse-task': 'not-a-task-of-mine', 'idempotency-key': `fb-${Date.now()}` });
    const id = refused.headers.get('x-gatehouse-request-id');
    assert.ok(id && refused.status >= 400, JSON.stringify(refused.json));
    const res = await feedback(id, { outcome: 'rejected' });
    assert.equal(res.status, 409, JSON.stringify(res.json));
    assert.equal(res.json.error.code, 'request_not_completed');
  });

  it('shows accepted / edited / rejected rates per model in the route\'s canary report', async () => {
    const res = await send(gw.url, '/admin/canary/chat', undefined, auth(ADMIN_KEY), 'GET');
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(res.json.feedback, [
      { model: 'small', total: 2, counts: { accepted: 0, edited: 1, rejected: 1 }, rates: { accepted: 0, edited: 0.5, rejected: 0.5 }, meanScore: 0.25 },
    ]);
  });
});
