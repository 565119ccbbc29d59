import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'gatehouse');
const run = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), 'gatehouse-build-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** `bin/gatehouse` with no tsx anywhere: NODE_OPTIONS could not smuggle a loader in either. */
const gatehouse = (args: string[]) => run(BIN, args, { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' }, maxBuffer: 8 * 1024 * 1024 });

describe('production build: dist/ holds compiled JavaScript that bin/gatehouse runs', { timeout: 240_000 }, () => {
  it('bin/gatehouse builds when dist/ is stale, then runs dist/src/cli/main.js (no compiler at run time)', async () => {
    await gatehouse(['build', '--if-stale']);
    const main = join(ROOT, 'dist', 'src', 'cli', 'main.js');
    assert.ok(existsSync(main));
    assert.ok(existsSync(join(ROOT, 'dist', 'src', 'console', 'public', 'index.html')), "the console's page is copied beside its compiled code");
    // A source newer than the last build: the next start compiles first.
    const source = join(ROOT, 'src', 'index.ts');
    const now = new Date();
    utimesSync(source, now, new Date(statSync(join(ROOT, 'dist', '.built')).mtimeMs + 2000));
    const rebuilt = await gatehouse(['keys', 'new']);
    assert.match(rebuilt.stderr, /compiling to dist/);
    assert.match(rebuilt.stdout, /^key:\s+gh_/m);
    const fresh = await gatehouse(['keys', 'new']);
    assert.doesNotMatch(fresh.stderr, /compiling/, 'an up-to-date build is not compiled again');
    assert.match(fresh.stdout, /keyHash: /);
  });

  it("the worker's workflow bundle builds from the compiled workflows, 0600", async () => {
    const out = join(tmp, 'data', 'workflow-bundle.js');
    const script = `require(${JSON.stringify(join(ROOT, 'dist', 'src', 'temporal', 'workflowBundle.js'))}).buildWorkflowBundle(${JSON.stringify(out)}).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); })`;
    await run(process.execPath, ['-e', script], { cwd: tmp, env: { ...process.env, NODE_OPTIONS: '' } });
    const code = readFileSync(out, 'utf8');
    assert.match(code, /aiRequest/);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    assert.equal(statSync(join(tmp, 'data')).mode & 0o777, 0o700);
  });
});
