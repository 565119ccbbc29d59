import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canaryReport } from '../../src/canary/report';
import { formatReport } from '../../src/cli/canary';
import { parseConfigObject } from '../../src/config';
import { hashApiKey } from '../../src/auth';
import { feedbackByModel } from '../../src/feedback/report';
import { FeedbackBodySchema, feedbackFacts } from '../../src/feedback/schema';
import { FeedbackStore } from '../../src/store/feedback';
import { DATABASES } from '../helpers/databases';


describe('end-user feedback', () => {
  it('keeps only facts for the ledger: outcome, score, sizes; never the edited text or the comment', () => {
    const feedback = FeedbackBodySchema.parse({ outcome: 'edited', edited_text: 'new words', comment: 'meh', score: 0.4 });
    const facts = feedbackFacts({ requestId: 'req-1', caller: 'app', team: 't', route: 'chat', model: 'small', feedback }, 'run-1', '2026-01-01T00:00:00.000Z');
    assert.deepEqual(facts, { requestId: 'req-1', caller: 'app', team: 't', route: 'chat', model: 'small', outcome: 'edited', score: 0.4, editedChars: 9, commented: true, runId: 'run-1', at: '2026-01-01T00:00:00.000Z' });
    assert.ok(!JSON.stringify(facts).includes('new words') && !JSON.stringify(facts).includes('meh'));
  });

  for (const target of DATABASES) {
  it(`the latest feedback per request wins; the same run written twice (a retried activity) counts once (${target.name})`, { skip: target.skip }, async () => {
    const store = new FeedbackStore(await target.open());
    const base = { requestId: 'req-1', caller: 'app', team: 't', route: 'chat', model: 'small', score: null, editedChars: null, commented: false };
    assert.equal(await store.record({ ...base, outcome: 'accepted', runId: 'a', at: '2026-01-01T00:00:00.000Z' }), true);
    assert.equal(await store.record({ ...base, outcome: 'accepted', runId: 'a', at: '2026-01-01T00:00:00.000Z' }), false);
    assert.equal(await store.record({ ...base, outcome: 'rejected', score: 0.2, runId: 'b', at: '2026-01-01T00:01:00.000Z' }), true);
    const row = await store.get('req-1');
    assert.deepEqual([row?.outcome, Number(row?.updates)], ['rejected', 2]);
    await store.record({ ...base, requestId: 'req-2', model: 'large', outcome: 'accepted', score: 1, runId: 'c', at: '2026-01-01T00:02:00.000Z' });
    const counts = await store.counts('chat', '2026-01-01T00:00:00.000Z');
    counts.sort((a, b) => String(a.model).localeCompare(String(b.model)));
    assert.deepEqual(feedbackByModel(counts), [
      { model: 'large', total: 1, counts: { accepted: 1, edited: 0, rejected: 0 }, rates: { accepted: 1, edited: 0, rejected: 0 }, meanScore: 1 },
      { model: 'small', total: 1, counts: { accepted: 0, edited: 0, rejected: 1 }, rates: { accepted: 0, edited: 0, rejected: 1 }, meanScore: 0.2 },
    ]);
    assert.deepEqual((await store.counts('chat', '2026-01-01T00:01:30.000Z')).map((c) => c.model), ['large'], 'the window is the feedback time');
  });
  }

  it('gatehouse canary report prints the feedback per model', () => {
    const config = parseConfigObject({
      providers: { mock: { kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:1' } },
      models: { small: { provider: 'mock', upstream: 'mock-small' } },
      callers: { app: { team: 't', roles: ['caller'], tasks: ['chat'], keyHash: hashApiKey('k-app-0123456789abcdef') } },
      routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'small' }],
    });
    const report = canaryReport({ route: config.routes[0]!, since: '2026-01-01T00:00:00Z', routeTableVersion: 1, requests: [], comparisons: [] });
    const feedback = feedbackByModel([{ model: 'small', outcome: 'edited', count: 1, scoreSum: 0.5, scored: 1 }, { model: 'small', outcome: 'accepted', count: 3, scoreSum: 0, scored: 0 }]);
    const lines = formatReport({ ...report, feedback });
    assert.ok(lines.includes('  small: 4 (accepted 75%, edited 25%, rejected 0%, mean score 0.50)'), lines.join('\n'));
    assert.ok(formatReport(report).includes('end-user feedback: none'));
  });
});
