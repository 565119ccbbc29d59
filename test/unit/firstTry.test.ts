import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FIRST_TRY_MAX_TIMEOUT_MS, mayRunFirstTry, taskCallsLocally } from '../../src/routing/firstTry';
import type { RoutePlan } from '../../src/routing';

const plan = (over: Partial<RoutePlan> = {}): RoutePlan =>
  ({
    route: 'chat',
    candidates: [{ model: 'a', provider: 'p', upstream: 'up-a' }, { model: 'b', provider: 'p', upstream: 'up-b' }],
    retries: 1,
    stage: 'stable',
    explanation: 'x',
    timeoutMs: 30_000,
    maxRetryWaitMs: 5_000,
    localCall: true,
    ...over,
  }) as RoutePlan;
const plain = { answerEnds: true, cached: false };

describe('the first provider call runs with admission only where it is exactly the workflow\'s own first try', () => {
  it('takes the plan\'s first candidate on a plain local-call request', () => {
    assert.equal(mayRunFirstTry({ ...plain, plan: plan() })?.model, 'a');
  });

  it('never for a regular-activity route, or no plan', () => {
    assert.equal(mayRunFirstTry({ ...plain, plan: plan({ localCall: false }) }), undefined);
    assert.equal(mayRunFirstTry({ ...plain, plan: undefined }), undefined);
    assert.equal(mayRunFirstTry({ ...plain, plan: plan({ candidates: [] }) }), undefined);
  });

  it('never when something comes between admission and the call or after the answer', () => {
    assert.equal(mayRunFirstTry({ ...plain, plan: plan(), answerEnds: false }), undefined, 'checked or held');
    assert.equal(mayRunFirstTry({ ...plain, plan: plan(), cached: true }), undefined, 'a response cache');
    assert.equal(mayRunFirstTry({ ...plain, plan: plan({ shadow: {} as RoutePlan['shadow'] }) }), undefined, 'a shadow');
    assert.equal(mayRunFirstTry({ ...plain, plan: plan({ degraded: {} as RoutePlan['degraded'] }) }), undefined, 'a reduced-output plan');
  });

  it('never for a route whose timeout is longer than the joint step\'s Temporal backstop', () => {
    assert.equal(mayRunFirstTry({ ...plain, plan: plan({ timeoutMs: FIRST_TRY_MAX_TIMEOUT_MS + 1 }) }), undefined);
    assert.equal(mayRunFirstTry({ ...plain, plan: plan({ timeoutMs: FIRST_TRY_MAX_TIMEOUT_MS }) })?.model, 'a');
  });

  it('is asked for only where a route for the task calls locally (others keep admission\'s 5 s timeout)', () => {
    const routes = [{ match: { task: 'chat' }, providerCall: 'local' }, { match: { task: 'summarize' }, providerCall: 'activity' }, { match: { task: 'draft' } }];
    assert.equal(taskCallsLocally(routes, 'chat'), true);
    assert.equal(taskCallsLocally(routes, 'summarize'), false);
    assert.equal(taskCallsLocally(routes, 'draft'), false);
    assert.equal(taskCallsLocally(routes, undefined), true, 'no task yet: any route may be the one');
  });
});
