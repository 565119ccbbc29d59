import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { progressPrinter } from '../../src/cli/progress';

function stream(isTTY: boolean) {
  const written: string[] = [];
  return { isTTY, write: (t: string) => written.push(t), text: () => written.join('') };
}

/** What the Go build of the Temporal CLI reports: a start, heartbeats, an end. */
function build(p: ReturnType<typeof progressPrinter>) {
  p.line('Building the Temporal CLI with Go…');
  p.status('…still building (15s, compiled 40 packages)');
  p.status('…still building (30s, compiled 95 packages)');
  p.line('Built the Temporal CLI in 41s (compiled 120 packages)');
  p.end();
}

describe('temporal install progress', () => {
  it('on a terminal the heartbeat is one line redrawn in place, closed before the next message', () => {
    const out = stream(true);
    build(progressPrinter(out));
    assert.equal(
      out.text(),
      'Building the Temporal CLI with Go…\n\r\u001b[2K…still building (15s, compiled 40 packages)\r\u001b[2K…still building (30s, compiled 95 packages)\nBuilt the Temporal CLI in 41s (compiled 120 packages)\n',
    );
  });

  it('piped or collected: plain lines, no escape codes, nothing left open', () => {
    const out = stream(false);
    build(progressPrinter(out));
    assert.equal(out.text(), 'Building the Temporal CLI with Go…\n…still building (15s, compiled 40 packages)\n…still building (30s, compiled 95 packages)\nBuilt the Temporal CLI in 41s (compiled 120 packages)\n');
  });

  it('nothing to report writes nothing (the CLI was already there)', () => {
    const out = stream(true);
    progressPrinter(out).end();
    assert.equal(out.text(), '');
  });
});
