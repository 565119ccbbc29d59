import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { loadCodec } from '../../src/temporal/codec';
import { gatehouseDataConverter } from '../../src/temporal/dataConverter';
import { heldAnswerQuery, reviewDecisionSignal, reviewUpdate, statusQuery } from '../../workflows/definitions';
import { KEYS, chat, hello, startTestGateway, type TestGateway } from '../helpers/gateway';
import { REVIEWER_KEYS, api, asReviewer, asSupport, finalView, reviewConfig, sealedDecision, waitForAsync } from '../helpers/review';

describe('human review over HTTP (real dev server)', () => {
  let gw: TestGateway;
  const ask = (task: string, content: string, headers: Record<string, string> = {}) =>
    chat(gw.url, hello(content), { ...asSupport, 'x-gatehouse-task': task, ...headers });
  const admin = (who: keyof typeof REVIEWER_KEYS | 'support', method: string, path: string, body?: unknown) =>
    api(gw.url, method, `/admin/reviews${path}`, who === 'support' ? asSupport : asReviewer(who), body);

  /** Sends a request to a reviewed route and returns its id once the caller got 202. */
  async function held(task: string, content: string): Promise<string> {
    const res = await ask(task, content);
    assert.equal(res.status, 202, JSON.stringify(res.json));
    return res.json.id;
  }

  before(async () => {
    gw = await startTestGateway({ config: (u) => reviewConfig(u) });
  });
  after(() => gw?.close());

  it('holds: 202 + Location, listed and shown to the reviewer, approve reaches the caller, ledger records who', async () => {
    const key = `held-${Date.now()}`;
    const res = await ask('draft', 'Draft a refund letter', { 'idempotency-key': key });
    assert.equal(res.status, 202, JSON.stringify(res.json));
    const id = res.json.id as string;
    assert.deepEqual(res.json, { id, object: 'gatehouse.request', status: 'awaiting_review' });
    assert.equal(res.headers.get('location'), `/v1/requests/${id}`);
    const again = await ask('draft', 'Draft a refund letter', { 'idempotency-key': key });
    assert.equal(again.status, 202, 'the same key rejoins the held request');
    assert.equal(again.json.id, id);

    assert.equal((await api(gw.url, 'GET', `/v1/requests/${id}`, asSupport)).json.status, 'awaiting_review');
    assert.equal((await api(gw.url, 'GET', `/v1/requests/${id}`, { authorization: `Bearer ${KEYS.analyst}` })).status, 404, 'only its own caller');

    const list = await admin('alice', 'GET', '');
    const item = list.json.data.find((r: { id: string }) => r.id === id);
    assert.ok(item, JSON.stringify(list.json));
    assert.deepEqual([item.route, item.caller, item.reasons], ['draft', 'support', ['always']]);
    assert.ok(!(await admin('bob', 'GET', '')).json.data.some((r: { id: string }) => r.id === id), 'bob reviews another route');

    const shown = await admin('alice', 'GET', `/${id}`);
    assert.equal(shown.status, 200);
    assert.equal(shown.json.content, 'Mock answer to: Draft a refund letter');
    assert.equal(shown.json.review.phase, 'review');

    const decided = await admin('alice', 'POST', `/${id}/approve`, { comment: 'fine' });
    assert.equal(decided.status, 200, JSON.stringify(decided.json));
    assert.deepEqual([decided.json.decision.action, decided.json.decision.by, decided.json.decision.comment], ['approve', 'alice', 'fine']);

    const view = await finalView(gw.url, id);
    assert.equal(view.status, 'completed');
    assert.equal(view.result.choices[0].message.content, 'Mock answer to: Draft a refund letter');
    assert.equal(view.result.gatehouse.review.by, 'alice');
    const row = (await gw.ledger.get(id));
    assert.equal(row?.status, 'completed');
    assert.equal(row?.reviewer, 'alice');
    const ledgerReview = JSON.parse(row?.review ?? '{}');
    assert.deepEqual([ledgerReview.decision.action, ledgerReview.decision.by], ['approve', 'alice']);
    assert.equal(ledgerReview.decision.comment, undefined, "the ledger keeps who and what, not the reviewer's text");
    const status = (await gw.client.workflow.getHandle(id).describe()).typedSearchAttributes.getAll().find((p) => p.key.name === 'GatehouseStatus');
    assert.equal(status?.value, 'completed');
  });

  it('an edited answer reaches the caller', async () => {
    const id = await held('draft', 'Write a greeting');
    const res = await admin('alice', 'POST', `/${id}/edit`, { content: 'Hello from a human.', comment: 'tone' });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const view = await finalView(gw.url, id);
    assert.equal(view.result.choices[0].message.content, 'Hello from a human.');
    assert.equal(view.result.gatehouse.review.action, 'edit');
  });

  it('a rejection reaches the caller as 422 review_rejected with the reason', async () => {
    const id = await held('draft', 'Promise a discount');
    assert.equal((await admin('alice', 'POST', `/${id}/reject`, {})).status, 400, 'reject needs a reason');
    const res = await admin('alice', 'POST', `/${id}/reject`, { reason: 'we do not promise discounts' });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const view = await finalView(gw.url, id);
    assert.equal(view.status, 'failed');
    assert.equal(view.http_status, 422);
    assert.equal(view.error.code, 'review_rejected');
    assert.match(view.error.message, /alice: we do not promise discounts/);
    assert.equal((await gw.ledger.get(id))?.error_code, 'review_rejected');
  });

  it('refuses a non-reviewer, a reviewer of another route (HTTP and raw Temporal) and a second decision', async () => {
    const id = await held('draft', 'Check refusals');
    for (const [method, path] of [['GET', ''], ['GET', `/${id}`], ['POST', `/${id}/approve`]] as const) {
      const res = await admin('support', method, path, method === 'POST' ? {} : undefined);
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.equal(res.json.error.code, 'reviewer_role_required');
    }
    const bob = await admin('bob', 'POST', `/${id}/approve`, {});
    assert.equal(bob.status, 403);
    assert.equal(bob.json.error.code, 'review_not_allowed');
    // Around the HTTP API, the workflow itself checks the key.
    const handle = gw.client.workflow.getHandle(id);
    await assert.rejects(handle.executeUpdate(reviewUpdate, { args: [await sealedDecision(gw, id, REVIEWER_KEYS.bob, { action: 'approve' })] }), (err: unknown) => {
      assert.ok(err instanceof WorkflowUpdateFailedError);
      assert.match(String((err.cause as Error)?.message), /bob may not review/);
      return true;
    });
    await assert.rejects(handle.executeUpdate(reviewUpdate, { args: [await sealedDecision(gw, id, 'not-a-key', { action: 'approve' })] }));
    // A raw key is refused by the update's validator, so it is never written to the history.
    await assert.rejects(handle.executeUpdate(reviewUpdate, { args: [{ action: 'approve', credential: REVIEWER_KEYS.alice }] }), (err: unknown) => {
      assert.match(String((err as WorkflowUpdateFailedError).cause?.message), /sealed reviewer credential, not an API key/);
      return true;
    });
    // Sealed for one decision, replayed with another (alice's approve envelope on a reject): refused.
    const aliceApprove = await sealedDecision(gw, id, REVIEWER_KEYS.alice, { action: 'approve' });
    await assert.rejects(handle.executeUpdate(reviewUpdate, { args: [{ ...aliceApprove, action: 'reject', reason: 'forged' }] }), (err: unknown) => {
      assert.match(String((err as WorkflowUpdateFailedError).cause?.message), /not valid for this request/);
      return true;
    });
    assert.equal((await admin('alice', 'POST', `/${id}/approve`, {})).status, 200);
    const second = await admin('alice', 'POST', `/${id}/reject`, { reason: 'changed my mind' });
    assert.equal(second.status, 409);
    assert.equal(second.json.error.code, 'review_already_decided');
    assert.equal((await finalView(gw.url, id)).status, 'completed');
    const review = (await handle.query(statusQuery)).review;
    assert.equal(review?.refused.length, 3, 'the refused updates that passed the validator are in the review state');
  });

  it('deadline: reject, approve, or escalate to a second group as the route says', async () => {
    const [rejectId, approveId, escalateId] = await Promise.all([held('late-reject', 'a'), held('late-approve', 'b'), held('late-escalate', 'c')]);
    const carolEarly = await admin('carol', 'POST', `/${escalateId}/approve`, {});
    assert.equal(carolEarly.status, 403, 'escalation group waits for the escalation');
    const rejected = await finalView(gw.url, rejectId);
    assert.deepEqual([rejected.http_status, rejected.error.code], [422, 'review_deadline_passed']);
    const approved = await finalView(gw.url, approveId);
    assert.equal(approved.status, 'completed');
    assert.equal(approved.result.gatehouse.review.by, 'deadline');
    const handle = gw.client.workflow.getHandle(escalateId);
    await waitForAsync(async () => (await handle.query(statusQuery)).review?.phase === 'escalated', 10_000, 'escalation');
    // The list reads Temporal visibility, which trails the workflow's own state by a moment under load.
    const listed = async () => (await admin('carol', 'GET', '')).json.data.some((r: { id: string; phase: string }) => r.id === escalateId && r.phase === 'escalated');
    await waitForAsync(listed, 10_000, 'the escalated request in carol\'s list');
    assert.equal((await admin('carol', 'POST', `/${escalateId}/approve`, { comment: 'on call' })).status, 200);
    const escalated = await finalView(gw.url, escalateId);
    assert.deepEqual([escalated.status, escalated.result.gatehouse.review.by, escalated.result.gatehouse.review.phase], ['completed', 'carol', 'escalated']);
  });

  it('the Signal twin decides like the Update; a refused signal is recorded and ignored', async () => {
    const id = await held('draft', 'Via the UI');
    const handle = gw.client.workflow.getHandle(id);
    await handle.signal(reviewDecisionSignal, await sealedDecision(gw, id, REVIEWER_KEYS.bob, { action: 'approve' }));
    await waitForAsync(async () => ((await handle.query(statusQuery)).review?.refused.length ?? 0) > 0, 10_000, 'refusal');
    assert.equal((await handle.query(heldAnswerQuery))?.review.decision, undefined, 'still waiting');
    await handle.signal(reviewDecisionSignal, await sealedDecision(gw, id, REVIEWER_KEYS.alice, { action: 'approve', comment: 'from the UI' }));
    const view = await finalView(gw.url, id);
    assert.deepEqual([view.result.gatehouse.review.via, view.result.gatehouse.review.by], ['signal', 'alice']);
    // The sealed checks took workflow times (start, decision arrival) as input: the history replays.
    const history = await handle.fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.GATEHOUSE_TEST_WORKFLOW_BUNDLE! }, dataConverter: gatehouseDataConverter(loadCodec(gw.env, join(gw.dir, 'codec-key'))) }, history, id);
  });

  it('Prefer: respond-async answers 202 at once; the result is at the Location', async () => {
    const res = await ask('chat', 'later please', { prefer: 'respond-async' });
    assert.equal(res.status, 202);
    assert.equal(res.json.status, 'running');
    assert.equal(res.headers.get('preference-applied'), 'respond-async');
    const view = await finalView(gw.url, res.json.id);
    assert.equal(view.result.choices[0].message.content, 'Mock answer to: later please');
  });

  it('a request that is not held still answers 200 after the hold check (slow provider)', async () => {
    gw.mock.queueFaults('mock-small', ['latency=600']);
    const res = await ask('chat', 'slow but not held');
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.choices[0].message.content, 'Mock answer to: slow but not held');
  });
});
