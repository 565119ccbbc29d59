import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger, logFormat } from '../../src/log';

/** A destination that keeps what is written. */
function collector() {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

const SECRET = 'gh_live_0123456789abcdef0123456789';

describe('log format: readable on a terminal, JSON otherwise', () => {
  it('a terminal gets pretty lines, a pipe or file gets JSON', () => {
    assert.equal(logFormat({}, true), 'pretty');
    assert.equal(logFormat({}, false), 'json');
  });

  it('GATEHOUSE_LOG_FORMAT chooses either way; anything else is refused', () => {
    assert.equal(logFormat({ GATEHOUSE_LOG_FORMAT: 'json' }, true), 'json');
    assert.equal(logFormat({ GATEHOUSE_LOG_FORMAT: 'Pretty' }, false), 'pretty');
    assert.throws(() => logFormat({ GATEHOUSE_LOG_FORMAT: 'xml' }, true), /json or pretty/);
  });

  it('pretty: one readable line with level, message and fields, the credential redacted', () => {
    const out = collector();
    const log = createLogger({ NO_COLOR: '1' }, { tty: true, destination: out.stream });
    log.warn({ caller: 'support', authorization: `Bearer ${SECRET}`, req: { headers: { authorization: SECRET } }, apiKey: SECRET }, 'refused at the front door');
    const text = out.text();
    assert.match(text, /WARN <caller=support>: refused at the front door\n/);
    assert.match(text, /\[redacted\]/);
    assert.ok(!text.includes(SECRET), text);
    assert.ok(!text.trimStart().startsWith('{'), 'not JSON');
  });

  it('pretty with colour (a real terminal) still redacts', () => {
    const out = collector();
    createLogger({}, { tty: true, destination: out.stream }).info({ key: SECRET }, 'hello');
    assert.match(out.text(), /\u001b\[/, 'coloured');
    assert.ok(!out.text().includes(SECRET));
  });

  it('json: one object a line, the credential redacted', () => {
    const out = collector();
    createLogger({}, { tty: false, destination: out.stream }).info({ authorization: SECRET }, 'request');
    const line = JSON.parse(out.text().trim()) as Record<string, unknown>;
    assert.equal(line.msg, 'request');
    assert.equal(line.authorization, '[redacted]');
    assert.ok(!out.text().includes(SECRET));
  });
});
