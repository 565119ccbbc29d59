import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CallerDirectory, hashApiKey } from '../../src/auth';
import { ConfigError, loadConfigFile, parseConfigObject } from '../../src/config';
import { runKeysCommand } from '../../src/cli/keys';
import { GatewayError } from '../../src/errors';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-keys-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const OLD = 'test-key-old-0123456789abcdef';
const NEW = 'test-key-new-0123456789abcdef';
const base = (callers: Record<string, unknown>) => ({
  providers: { mock: { kind: 'mock' } },
  models: { small: { provider: 'mock', upstream: 'mock-small' } },
  callers,
  routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'small' }],
});
const rotated = (expiresAt: string) =>
  parseConfigObject(base({ bot: { team: 't', tasks: ['chat'], keyHash: hashApiKey(NEW), previousKey: { keyHash: hashApiKey(OLD), expiresAt } } }));

function refusedWith(fn: () => unknown, code: string): void {
  assert.throws(fn, (e) => e instanceof GatewayError && e.status === 401 && e.code === code);
}

describe('caller key rotation', () => {
  it('old and new key both work until the old one expires; then only the new one', () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const callers = new CallerDirectory(rotated('2026-01-08T00:00:00Z'), undefined, () => now);
    assert.equal(callers.authenticateKey(OLD).name, 'bot');
    assert.equal(callers.authenticateKey(NEW).name, 'bot');
    now = Date.parse('2026-01-08T00:00:00Z');
    refusedWith(() => callers.authenticateKey(OLD), 'expired_api_key');
    assert.equal(callers.authenticateKey(NEW).name, 'bot');
    refusedWith(() => callers.authenticateKey('test-key-other-0123456789abcdef'), 'invalid_api_key');
  });

  it('the config refuses a previousKey without a new keyHash, a bad expiry, and one key hash on two callers', () => {
    const invalid = (callers: Record<string, unknown>, pattern: RegExp) =>
      assert.throws(() => parseConfigObject(base(callers)), (e) => e instanceof ConfigError && e.problems.some((p) => pattern.test(p)));
    invalid({ bot: { team: 't', tasks: ['chat'], demo: true, previousKey: { keyHash: hashApiKey(OLD), expiresAt: '2026-01-08T00:00:00Z' } } }, /previousKey needs the new keyHash/);
    invalid({ bot: { team: 't', tasks: ['chat'], keyHash: hashApiKey(NEW), previousKey: { keyHash: hashApiKey(OLD), expiresAt: 'next week' } } }, /previousKey\.expiresAt/);
    invalid(
      { bot: { team: 't', tasks: ['chat'], keyHash: hashApiKey(NEW) }, eve: { team: 't', tasks: ['chat'], keyHash: hashApiKey(OLD), previousKey: { keyHash: hashApiKey(NEW), expiresAt: '2026-01-08T00:00:00Z' } } },
      /callers\.eve\.previousKey\.keyHash: the same key hash is already used by caller "bot"/,
    );
  });
});

describe('gatehouse keys rotate', () => {
  const write = () => {
    const file = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(
      file,
      `# our gateway\nproviders:\n  mock: { kind: mock }\nmodels:\n  small: { provider: mock, upstream: mock-small }\ncallers:\n  bot: # the support bot\n    team: t\n    tasks: [chat]\n    keyHash: ${hashApiKey(OLD)}\nroutes:\n  - { name: chat, match: { task: chat }, primary: small }\n`,
    );
    return file;
  };
  const run = (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = runKeysCommand(args, {}, (l) => out.push(l), (l) => err.push(l), new Date('2026-01-01T00:00:00Z'));
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('--write: a new key for the caller, the old one kept for --keep, comments kept; both keys then authenticate', () => {
    const file = write();
    const r = run(['rotate', 'bot', '--config', file, '--keep', '2d', '--write']);
    assert.equal(r.code, 0, r.err);
    const key = /^key:\s+(\S+)$/m.exec(r.out)?.[1];
    assert.ok(key);
    const config = loadConfigFile(file);
    assert.equal(config.callers.bot?.keyHash, hashApiKey(key));
    assert.deepEqual(config.callers.bot?.previousKey, { keyHash: hashApiKey(OLD), expiresAt: '2026-01-03T00:00:00.000Z' });
    assert.match(readFileSync(file, 'utf8'), /# our gateway[\s\S]*# the support bot/);
    const callers = new CallerDirectory(config, undefined, () => Date.parse('2026-01-02T00:00:00Z'));
    assert.equal(callers.authenticateKey(key).name, 'bot');
    assert.equal(callers.authenticateKey(OLD).name, 'bot');
    assert.ok(!r.out.includes(OLD), 'the old raw key is never printed (it is not known anyway)');
  });

  it('without --write it prints the change and leaves the file alone; an unknown caller fails', () => {
    const file = write();
    const before = readFileSync(file, 'utf8');
    const r = run(['rotate', 'bot', '--config', file]);
    assert.equal(r.code, 0);
    assert.match(r.out, /previousKey:\n\s+keyHash: sha256:[0-9a-f]{64}\n\s+expiresAt: 2026-01-08T00:00:00.000Z/);
    assert.equal(readFileSync(file, 'utf8'), before);
    const bad = run(['rotate', 'nobody', '--config', file, '--write']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /no caller "nobody"/);
    assert.equal(readFileSync(file, 'utf8'), before);
  });
});
