import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreakers } from '../../src/routing/circuitBreaker';

const opts = { failureThreshold: 3, windowMs: 1000, coolDownMs: 500 };

describe('circuit breakers', () => {
  it('stays closed below the threshold and forgets failures outside the window', () => {
    const b = new CircuitBreakers(opts);
    b.recordFailure('m', 0);
    b.recordFailure('m', 100);
    b.recordFailure('m', 1200); // the first two are outside the window now
    assert.equal(b.isAvailable('m', 1200), true);
    assert.equal(b.stateOf('m'), 'closed');
  });

  it('opens after N failures in the window, per model', () => {
    const b = new CircuitBreakers(opts);
    for (const t of [0, 10, 20]) b.recordFailure('m', t);
    assert.equal(b.isAvailable('m', 30), false);
    assert.equal(b.isAvailable('other', 30), true);
  });

  it('lets one probe through after the cool-down; success closes it', () => {
    const b = new CircuitBreakers(opts);
    for (const t of [0, 10, 20]) b.recordFailure('m', t);
    assert.equal(b.isAvailable('m', 519), false);
    assert.equal(b.isAvailable('m', 520), true, 'probe');
    assert.equal(b.isAvailable('m', 521), false, 'only one probe');
    b.recordSuccess('m', 600);
    assert.equal(b.isAvailable('m', 601), true);
    assert.equal(b.stateOf('m'), 'closed');
  });

  it('a failed probe opens it again for another cool-down', () => {
    const b = new CircuitBreakers(opts);
    for (const t of [0, 10, 20]) b.recordFailure('m', t);
    assert.equal(b.isAvailable('m', 600), true);
    b.recordFailure('m', 650);
    assert.equal(b.isAvailable('m', 1000), false);
    assert.equal(b.isAvailable('m', 1150), true);
  });

  it('a probe that never reports back does not keep the model dark', () => {
    const b = new CircuitBreakers(opts);
    for (const t of [0, 10, 20]) b.recordFailure('m', t);
    assert.equal(b.isAvailable('m', 600), true);
    assert.equal(b.isAvailable('m', 900), false);
    assert.equal(b.isAvailable('m', 1100), true);
  });
});
