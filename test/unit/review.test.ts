import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfigObject } from '../../src/config';
import { deadlineOutcome, holdReasons, mayReview, nextStepForInvalid, parseDecision, reviewableRoutes, taskMayHold } from '../../src/review';
import { signBody, verifySignature } from '../../src/webhook';

const HASH = `sha256:${'a'.repeat(64)}`;

/** A config with one reviewed route; `patch` edits the raw object before parsing. */
function config(patch: (c: any) => void = () => {}) {
  const raw: any = {
    providers: { local: { kind: 'mock' } },
    models: { small: { provider: 'local', upstream: 'mock-small' } },
    callers: {
      bot: { team: 'support', tasks: ['draft', 'chat'], keyHash: HASH },
      alice: { team: 'legal', roles: ['reviewer'], reviews: ['draft'], keyHash: `sha256:${'b'.repeat(64)}` }, // one key per caller
      bob: { team: 'oncall', roles: ['reviewer'], keyHash: `sha256:${'c'.repeat(64)}` },
    },
    routes: [
      { name: 'draft', match: { task: 'draft' }, primary: 'small', review: { when: 'always', onTimeout: 'escalate', escalateTo: ['oncall'] } },
      { name: 'chat', match: { task: 'chat' }, primary: 'small' },
    ],
  };
  patch(raw);
  return parseConfigObject(raw);
}

function problems(patch: (c: any) => void): string[] {
  try {
    config(patch);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('review config', () => {
  it('fills defaults and normalises `when` to a list', () => {
    const review = config().routes[0]!.review!;
    assert.deepEqual(review.when, ['always']);
    assert.equal(review.deadline, '24h');
    assert.equal(review.onTimeout, 'escalate');
  });

  it('rejects unknown reviewers, reviews without the role, and routes nobody may review', () => {
    assert.deepEqual(problems((c) => (c.routes[0].review.reviewers = ['ghost'])), ['routes.0.review.reviewers.0: "ghost" is no caller or team with role reviewer']);
    assert.deepEqual(problems((c) => (c.callers.bot.reviews = ['draft'])), ['callers.bot.reviews: reviews: needs role reviewer']);
    assert.deepEqual(problems((c) => (c.callers.alice.reviews = ['chat'])), [
      'routes.0.review: nobody may review route "draft": list it in a reviewer\'s reviews: or set review.reviewers',
      'callers.alice.reviews.0: route "chat" has no review: block',
    ]);
  });

  it('needs escalateTo for onTimeout: escalate, a review block for onFailure: review, a valid deadline', () => {
    assert.match(problems((c) => delete c.routes[0].review.escalateTo).join(), /escalateTo: onTimeout: escalate needs escalateTo/);
    assert.match(problems((c) => (c.routes[1].validation = { maxChars: 10, onFailure: 'review' })).join(), /routes\.1\.validation\.onFailure: onFailure: review needs a review: block/);
    assert.match(problems((c) => (c.routes[0].review.deadline = 'tomorrow')).join(), /routes\.0\.review\.deadline: must be a duration/);
    assert.match(problems((c) => (c.routes[0].review.when = ['sometimes'])).join(), /routes\.0\.review\.when/);
  });

  it('accepts a caller webhook and refuses a bad one', () => {
    const c = config((x) => (x.callers.bot.webhook = { url: 'https://hooks.example.com/gatehouse', secretEnv: 'BOT_HOOK_SECRET' }));
    assert.equal(c.callers.bot?.webhook?.secretEnv, 'BOT_HOOK_SECRET');
    assert.match(problems((x) => (x.callers.bot.webhook = { url: 'ftp://x', secretEnv: 'S' })).join(), /callers\.bot\.webhook\.url/);
  });
});

describe('who may review', () => {
  const c = config();
  const who = (name: string) => ({ name, config: c.callers[name]! });
  const draft = c.routes[0]!;

  it('reviewers named by their own reviews: list, by the route, or (after escalation) by escalateTo', () => {
    assert.equal(mayReview(who('alice'), draft, 'review'), true);
    assert.equal(mayReview(who('bob'), draft, 'review'), false, 'escalation group waits for the escalation');
    assert.equal(mayReview(who('bob'), draft, 'escalated'), true);
    assert.equal(mayReview(who('alice'), draft, 'escalated'), true, 'first reviewers keep the right');
    assert.equal(mayReview(who('bot'), draft, 'review'), false, 'no reviewer role');
    assert.equal(mayReview(who('alice'), c.routes[1]!, 'review'), false, 'route without review');
  });

  it('lists the routes a reviewer may see', () => {
    assert.deepEqual(reviewableRoutes(who('alice'), c), ['draft']);
    assert.deepEqual(reviewableRoutes(who('bob'), c), ['draft']);
    assert.deepEqual(reviewableRoutes(who('bot'), c), []);
  });
});

describe('review decisions (pure)', () => {
  it('holdReasons: one reason per matching condition', () => {
    const facts = { risk: 'high', validationFailed: true, sensitiveKinds: ['card_number'] };
    assert.deepEqual(holdReasons(['always'], { validationFailed: false, sensitiveKinds: [] }), ['always']);
    assert.deepEqual(holdReasons(['risk_high', 'on_validation_failure', 'on_sensitive_output'], facts), ['risk_high', 'validation_failed', 'sensitive_output: card_number']);
    assert.deepEqual(holdReasons(['risk_high', 'on_sensitive_output'], { risk: 'medium', validationFailed: true, sensitiveKinds: [] }), []);
  });

  it('nextStepForInvalid: onFailure while it can run, then review if the route reviews failures, else fail', () => {
    const base = { retried: false, hasNextCandidate: true, reviewOnFailure: false };
    assert.equal(nextStepForInvalid({ ...base, onFailure: 'retry' }), 'retry');
    assert.equal(nextStepForInvalid({ ...base, onFailure: 'retry', retried: true }), 'fail');
    assert.equal(nextStepForInvalid({ ...base, onFailure: 'retry', retried: true, reviewOnFailure: true }), 'review');
    assert.equal(nextStepForInvalid({ ...base, onFailure: 'fallback' }), 'fallback');
    assert.equal(nextStepForInvalid({ ...base, onFailure: 'fallback', hasNextCandidate: false }), 'fail');
    assert.equal(nextStepForInvalid({ ...base, onFailure: 'review' }), 'review');
    assert.equal(nextStepForInvalid({ ...base, onFailure: 'fail' }), 'fail');
  });

  it('parseDecision accepts the three actions with a sealed credential and refuses incomplete ones or raw keys without echoing them', () => {
    const k = 'ghsealed1.0123456789abcdef.ZW5j.Y3Q';
    assert.deepEqual(parseDecision({ action: 'approve', credential: k, comment: 'fine' }), { ok: true, value: { action: 'approve', credential: k, comment: 'fine' } });
    assert.equal(parseDecision({ action: 'edit', credential: k, content: 'new text' }).ok, true);
    assert.equal(parseDecision({ action: 'reject', credential: k, reason: 'wrong tone' }).ok, true);
    const refusals: Array<[unknown, RegExp]> = [
      [null, /JSON object/],
      [{ action: 'maybe', credential: k }, /action must be one of/],
      [{ action: 'approve' }, /credential/],
      [{ action: 'approve', credential: 'secret-key' }, /sealed reviewer credential, not an API key/],
      [{ action: 'approve', credential: 'ghsealed1.secret-key' }, /sealed reviewer credential/],
      [{ action: 'edit', credential: k }, /edit needs content/],
      [{ action: 'reject', credential: k, reason: '  ' }, /reject needs a reason/],
      [{ action: 'approve', credential: k, comment: 7 }, /comment must be a string/],
    ];
    for (const [payload, message] of refusals) {
      const r = parseDecision(payload);
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.match(r.error, message);
        assert.ok(!r.error.includes('secret-key'));
      }
    }
  });

  it('deadlineOutcome: the route decides first, a second deadline after escalation rejects', () => {
    assert.deepEqual(deadlineOutcome({ onTimeout: 'approve', deadline: '2s' }, 'review'), { action: 'approve', reason: 'no decision within 2s; route onTimeout: approve' });
    assert.equal(deadlineOutcome({ onTimeout: 'escalate', deadline: '1h' }, 'review').action, 'escalate');
    assert.equal(deadlineOutcome({ onTimeout: 'escalate', deadline: '1h' }, 'escalated').action, 'reject');
  });
});

describe('webhook signature', () => {
  it('is sha256=<hex HMAC of the body> and verifies only the exact body and secret', () => {
    const body = '{"id":"req-1","status":"completed"}';
    const sig = signBody(body, 's3cret');
    assert.match(sig, /^sha256=[0-9a-f]{64}$/);
    assert.equal(verifySignature(body, 's3cret', sig), true);
    assert.equal(verifySignature(body + ' ', 's3cret', sig), false);
    assert.equal(verifySignature(body, 'other', sig), false);
    assert.equal(verifySignature(body, 's3cret', undefined), false);
  });
});

describe('taskMayHold', () => {
  const routes = [
    { match: { task: 'draft' }, review: { when: ['always'] } },
    { match: { task: 'chat' } },
  ];
  it('only a task with a reviewed route can be held; an unknown task might be', () => {
    assert.equal(taskMayHold(routes, 'draft'), true);
    assert.equal(taskMayHold(routes, 'chat'), false);
    assert.equal(taskMayHold(routes, undefined), true);
    assert.equal(taskMayHold([routes[1]!], undefined), false);
  });
});
