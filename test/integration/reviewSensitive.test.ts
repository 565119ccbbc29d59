import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GatehouseClient } from '../../src';
import { KEYS, chat, hello, startTestGateway, type TestGateway } from '../helpers/gateway';
import { api, asReviewer, asSupport, finalView, reviewConfig } from '../helpers/review';

/**
 * Held reviews seen from the caller's side: the sensitivity action `review` (a prompt with sensitive
 * data is answered and the answer held for a human), and the TS client following a held request.
 */
describe('held reviews: a sensitive prompt over HTTP, and status() through the TS client', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({
      config: (u) =>
        reviewConfig(u, (c) => {
          c.callers.support.tasks.push('hr');
          c.callers.alice.reviews.push('hr');
          c.models.hrmodel = { provider: 'mock', upstream: 'mock-large', dataClasses: ['public', 'internal', 'confidential', 'restricted'] };
          c.routes.push({
            name: 'hr',
            match: { task: 'hr' },
            primary: 'hrmodel',
            sensitivity: { action: 'review', minClass: 'confidential' },
            review: { when: ['on_validation_failure'], deadline: '1h' },
          });
        }),
    });
  });
  after(() => gw?.close());

  it('the TypeScript client: status() shows a held review, and the decision completes result()', async () => {
    const client = await GatehouseClient.connect({ apiKey: KEYS.support, temporal: { client: gw.client }, taskQueue: gw.taskQueue, env: { GATEHOUSE_DATA_DIR: gw.dir } });
    const req = await client.start({ body: hello('Draft a note via the client'), task: 'draft' });
    let status = await req.status();
    for (let i = 0; status.step !== 'awaiting_review' && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = await req.status();
    }
    assert.equal(status.step, 'awaiting_review');
    assert.equal(status.review?.phase, 'review');
    assert.deepEqual(status.review?.reasons, ['always']);
    const decided = await api(gw.url, 'POST', `/admin/reviews/${req.requestId}/approve`, asReviewer('alice'), {});
    assert.equal(decided.status, 200, JSON.stringify(decided.json));
    const answer = await req.result();
    assert.equal(answer.gatehouse.review?.by, 'alice');
  });

  it('a plain prompt is answered at once; one with personal data waits for a reviewer', async () => {
    const plain = await chat(gw.url, hello('What is our leave policy?'), { ...asSupport, 'x-gatehouse-task': 'hr' });
    assert.equal(plain.status, 200, JSON.stringify(plain.json));

    const res = await chat(gw.url, hello('Employee SSN 123-45-6789 asks about leave'), { ...asSupport, 'x-gatehouse-task': 'hr' });
    assert.equal(res.status, 202, JSON.stringify(res.json));
    const id = res.json.id as string;
    const shown = await api(gw.url, 'GET', `/admin/reviews/${id}`, asReviewer('alice'));
    assert.equal(shown.status, 200, JSON.stringify(shown.json));
    assert.deepEqual(shown.json.review.reasons, ['sensitive_input']);
    const decided = await api(gw.url, 'POST', `/admin/reviews/${id}/approve`, asReviewer('alice'), { comment: 'ok to send' });
    assert.equal(decided.status, 200, JSON.stringify(decided.json));
    const view = await finalView(gw.url, id);
    assert.equal(view.status, 'completed');
    assert.equal((await gw.ledger.get(id))?.sensitive_kinds, 'us_ssn');
  });
});
