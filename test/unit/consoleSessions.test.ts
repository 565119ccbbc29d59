import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SessionStore, sessionOptionsFrom } from '../../src/console/sessions';
import { PROMPT_MAX_CHARS, PROMPT_MAX_MESSAGES, promptForReview } from '../../src/review/prompt';

describe('console sessions', () => {
  const clock = (start = 1_000_000) => {
    const c = { t: start, now: () => c.t };
    return c;
  };

  it('an opaque id maps to its key; an unknown or empty id maps to nothing', () => {
    const s = new SessionStore();
    const id = s.create('key-a');
    assert.match(id, /^[\w-]{43}$/, '32 random bytes, base64url');
    assert.ok(!id.includes('key-a'));
    assert.equal(s.credential(id), 'key-a');
    assert.equal(s.credential(`${id}x`), undefined);
    assert.equal(s.credential(''), undefined);
    assert.equal(s.credential(undefined), undefined);
    assert.notEqual(s.create('key-a'), id, 'each sign-in gets a new id');
  });

  it('expires after the idle time without use, and each use restarts the idle clock', () => {
    const c = clock();
    const s = new SessionStore({ idleMs: 1000, maxMs: 10_000, now: c.now });
    const id = s.create('k');
    c.t += 999;
    assert.equal(s.credential(id), 'k');
    c.t += 999;
    assert.equal(s.credential(id), 'k', 'used 999 ms ago');
    c.t += 1000;
    assert.equal(s.credential(id), undefined);
    assert.equal(s.size, 0, 'an expired session is dropped');
  });

  it('expires at the maximum age however busy it is', () => {
    const c = clock();
    const s = new SessionStore({ idleMs: 1000, maxMs: 3000, now: c.now });
    const id = s.create('k');
    for (let i = 0; i < 5; i++) {
      c.t += 500;
      assert.equal(s.credential(id), 'k');
    }
    c.t += 500;
    assert.equal(s.credential(id), undefined, '3 s after sign-in');
  });

  it('sign-out ends a session; the oldest goes when the cap is reached; sign-in sweeps expired ones', () => {
    const c = clock();
    const s = new SessionStore({ idleMs: 1000, maxSessions: 2, now: c.now });
    const a = s.create('a');
    s.delete(a);
    assert.equal(s.credential(a), undefined);
    const b = s.create('b');
    const d = s.create('d');
    const e = s.create('e');
    assert.deepEqual([s.credential(b), s.credential(d), s.credential(e)], [undefined, 'd', 'e']);
    c.t += 5000;
    s.create('f');
    assert.equal(s.size, 1);
  });
});

describe('console session lifetimes from the environment', () => {
  it('defaults when unset, durations when set, a clear error otherwise', () => {
    assert.deepEqual(sessionOptionsFrom({}), { idleMs: undefined, maxMs: undefined });
    assert.deepEqual(sessionOptionsFrom({ GATEHOUSE_CONSOLE_IDLE_TIMEOUT: '15m', GATEHOUSE_CONSOLE_SESSION_MAX: '12h' }), { idleMs: 900_000, maxMs: 43_200_000 });
    assert.throws(() => sessionOptionsFrom({ GATEHOUSE_CONSOLE_IDLE_TIMEOUT: 'soon' }), /GATEHOUSE_CONSOLE_IDLE_TIMEOUT must be a duration/);
    assert.throws(() => sessionOptionsFrom({ GATEHOUSE_CONSOLE_SESSION_MAX: '5s' }), /at least a minute/);
  });
});

describe('the prompt a reviewer sees', () => {
  it('keeps roles and text, joins text parts, names other parts', () => {
    const lines = promptForReview([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'Look:' }, { type: 'image_url', image_url: { url: 'x' } }] },
      { role: 'assistant', content: null },
    ]);
    assert.deepEqual(lines, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Look:\n[image_url]' },
      { role: 'assistant', content: '' },
    ]);
  });

  it('is bounded: the last messages only, each cut with a marker', () => {
    const many = Array.from({ length: PROMPT_MAX_MESSAGES + 5 }, (_, i) => ({ role: 'user' as const, content: `m${i}` }));
    const lines = promptForReview(many);
    assert.equal(lines.length, PROMPT_MAX_MESSAGES);
    assert.equal(lines[0]!.content, 'm5');
    const [long] = promptForReview([{ role: 'user', content: 'x'.repeat(PROMPT_MAX_CHARS + 7) }]);
    assert.equal(long!.content, `${'x'.repeat(PROMPT_MAX_CHARS)}… [7 more characters]`);
  });
});
