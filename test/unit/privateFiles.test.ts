import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LimitsGate, LimitsSchema } from '../../src/limits';
import { ReleaseStore } from '../../src/store/releaseStore';
import { openDatabase } from '../../src/db';
import { secretFile, secureDataDir } from '../../src/store/privateFiles';
import { loadCodec } from '../../src/temporal/codec';

const root = mkdtempSync(join(tmpdir(), 'gatehouse-modes-'));
after(() => rmSync(root, { recursive: true, force: true }));
const mode = (p: string) => statSync(p).mode & 0o777;

describe('the data dir is private to the gateway user', () => {
  let umask: number;
  // The usual umask (022) would make new files 0644: the modes must not depend on it.
  before(() => (umask = process.umask(0o022)));
  after(() => process.umask(umask));

  it('a fresh data dir is 0700 and the ledger, budgets, change log (with -wal and -shm) and codec key are 0600', async () => {
    const dir = join(root, 'fresh', 'data');
    secureDataDir(dir);
    const db = await openDatabase(join(dir, 'ledger.db'));
    const limits = new LimitsGate(LimitsSchema.parse({ callerBudgets: { bot: { dailyUsd: 1 } } }), { db });
    await limits.reserve('r1', 'bot', 'team', 0.1);
    const store = new ReleaseStore(db);
    await store.seed([{ name: 'chat', match: {}, primary: 'small' }], 'test');
    loadCodec({}, join(dir, 'codec-key'));
    const files = readdirSync(dir);
    for (const f of ['ledger.db', 'ledger.db-wal', 'ledger.db-shm', 'codec-key']) assert.ok(files.includes(f), `${f} in ${files.join()}`);
    assert.equal(mode(dir), 0o700);
    for (const f of files) assert.equal(mode(join(dir, f)), 0o600, f);
    await limits.close();
    await db.close();
  });

  it('an existing readable data dir is narrowed: dirs 0700, files 0600; a symlink target is left alone', () => {
    const dir = join(root, 'old');
    mkdirSync(join(dir, 'sub'), { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'ledger.db'), '', { mode: 0o644 });
    writeFileSync(join(dir, 'sub', 'key'), '', { mode: 0o664 });
    const outside = join(root, 'shared.yaml');
    writeFileSync(outside, '', { mode: 0o644 });
    symlinkSync(outside, join(dir, 'link'));
    secureDataDir(dir);
    assert.deepEqual([mode(dir), mode(join(dir, 'sub')), mode(join(dir, 'ledger.db')), mode(join(dir, 'sub', 'key'))], [0o700, 0o700, 0o600, 0o600]);
    assert.equal(mode(outside), 0o644);
  });
});

describe('secrets made once in the data dir', () => {
  it('the first secret written wins: later makers read it, the file is 0600 whole, no temp file is left', () => {
    const dir = join(root, 'secrets');
    const file = join(dir, 'codec-key');
    const first = secretFile(file, () => 'first');
    const second = secretFile(file, () => 'second');
    assert.deepEqual([first, second], ['first', 'first']);
    assert.equal(mode(file), 0o600);
    assert.deepEqual(readdirSync(dir), ['codec-key']);
  });

  it('two processes starting together on one data dir agree on the codec key', async () => {
    const dir = join(root, 'race');
    const script = `require(${JSON.stringify(require.resolve('../../src/store/privateFiles'))}).secretFile(${JSON.stringify(join(dir, 'codec-key'))}, () => String(process.pid)); console.log(require('fs').readFileSync(${JSON.stringify(join(dir, 'codec-key'))}, 'utf8').trim())`;
    const run = () => promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', script]).then((r) => r.stdout.trim());
    const seen = await Promise.all([run(), run(), run(), run()]);
    assert.equal(new Set(seen).size, 1, `every process must use one key: ${seen.join(', ')}`);
  });
});
