import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { durationFromEnv } from '../../src/config/duration';

describe('durationFromEnv: duration settings from the environment', () => {
  const read = (value: string | undefined) => durationFromEnv({ GATEHOUSE_REVIEW_WAIT: value }, 'GATEHOUSE_REVIEW_WAIT', 1000, 'at least a second ("30s")');

  it('unset or empty is undefined (the caller keeps its default); a duration is milliseconds', () => {
    assert.equal(read(undefined), undefined);
    assert.equal(read(''), undefined);
    assert.equal(read('1500ms'), 1500);
    assert.equal(read(' 2m '), 120_000);
  });

  it('a typo or a too short value stops the start with a message naming the setting', () => {
    assert.throws(() => read('30'), /GATEHOUSE_REVIEW_WAIT must be a duration of at least a second \("30s"\), not "30"/);
    assert.throws(() => read('500ms'), /not "500ms"/);
  });
});
