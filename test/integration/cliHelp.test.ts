import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';

/** The real launcher (`bin/gatehouse`, the compiled dist/): what an operator types. */
const BIN = join(__dirname, '..', '..', 'bin', 'gatehouse');
const run = async (args: string[]) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(BIN, args, { env: { ...process.env, GATEHOUSE_URL: 'http://127.0.0.1:9', GATEHOUSE_KEY: '' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};
const STACK = /\n\s+at .+:\d+:\d+/;

describe('the gatehouse command: help everywhere, no stack trace for a usage error', () => {
  for (const cmd of ['start', 'keys', 'review', 'routes', 'models', 'canary', 'usage', 'temporal', 'db']) {
    it(`gatehouse ${cmd} answers --help, -h and help with its own usage`, async () => {
      for (const flag of ['--help', '-h', 'help']) {
        const r = await run([cmd, flag]);
        assert.equal(r.code, 0, `${cmd} ${flag}: ${r.stderr}`);
        assert.match(r.stdout, new RegExp(`^gatehouse ${cmd}`), `${cmd} ${flag}`);
        assert.doesNotMatch(r.stdout + r.stderr, STACK);
      }
    });
  }

  it('a subcommand with --help gets help, not an action (gatehouse keys rotate --help prints no key)', async () => {
    const r = await run(['keys', 'rotate', 'someone', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^gatehouse keys/);
    assert.doesNotMatch(r.stdout, /gh_/);
  });

  it('an unknown option or command is exit 2 with one line saying what, never a stack trace', async () => {
    for (const args of [['review', '--bogus'], ['routes', 'show', '--nope'], ['canary', 'report', 'r', '-x'], ['usage', '--bogus']]) {
      const r = await run(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, new RegExp(`^gatehouse ${args[0]}: Unknown option .*--help`), args.join(' '));
      assert.doesNotMatch(r.stderr, STACK);
    }
    const unknown = await run(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^gatehouse <command>/);
    const top = await run(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /Every command answers --help, -h and help/);
  });
});
