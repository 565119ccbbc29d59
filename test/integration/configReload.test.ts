import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { hashApiKey } from '../../src/auth';
import { runKeysCommand } from '../../src/cli/keys';
import { KEYS, auth, chat, hello, startTestGateway, type TestGateway } from '../helpers/gateway';
import { waitFor } from '../helpers/process';

const status = async (gw: TestGateway, key: string, task = 'chat') => (await chat(gw.url, hello(`hi ${Math.random()}`), { ...auth(key), 'x-gatehouse-task': task })).status;
const configEntries = async (gw: TestGateway) => {
  await gw.release.settled(); // config loads are recorded off the reload's path
  return (await gw.release.store.changes(1000)).filter((c) => c.action === 'config');
};

describe('config reload: keys rotate, limits change, without a restart; every load is in the change log', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ env: { GATEHOUSE_RELOAD_MS: '100' } });
  });
  after(() => gw?.close());
  const edit = (fn: (c: any) => void) => {
    const c = parse(readFileSync(gw.configFile, 'utf8'));
    fn(c);
    writeFileSync(gw.configFile, stringify(c));
  };

  it('the config as started is recorded: who, a content hash, the callers, no key hash', async () => {
    const [first] = (await configEntries(gw));
    assert.ok(first, 'a config entry at start');
    assert.match(first.author, /config file owner/);
    assert.equal(first.target, gw.configFile);
    const details = first.details as { hash: string; changes: string[]; view: any };
    assert.match(details.hash, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(Object.keys(details.view.callers).sort(), ['analyst', 'support']);
    assert.ok(!JSON.stringify(first).includes(hashApiKey(KEYS.support).slice(7)), 'no key hash in the change log');
  });

  it('gatehouse keys rotate --write: the new key works within the reload interval, the old one still does; the log says the key rotated', async () => {
    const out: string[] = [];
    assert.equal(runKeysCommand(['rotate', 'support', '--config', gw.configFile, '--write'], {}, (l) => out.push(l), () => {}), 0);
    const newKey = /^key:\s+(\S+)$/m.exec(out.join('\n'))![1]!;
    const deadline = Date.now() + 10_000;
    while ((await status(gw, newKey)) !== 200) {
      assert.ok(Date.now() < deadline, 'the new key never worked');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await status(gw, KEYS.support), 200, 'the old key keeps working until it expires');
    const latest = (await configEntries(gw))[0]!;
    const changes = (latest.details as { changes: string[] }).changes;
    assert.ok(changes.some((c) => /^callers\.support\.key: "fp:[0-9a-f]{8}" → "fp:[0-9a-f]{8}"$/.test(c)), changes.join('\n'));
    assert.ok(changes.some((c) => c.startsWith('callers.support.previousKey: added')), changes.join('\n'));
    const { hash, ...rest } = latest.details as { hash: string };
    assert.match(hash, /^sha256:/);
    assert.doesNotMatch(JSON.stringify(rest), /sha256:|[0-9a-f]{64}/, 'no key hash in the view or the changes');
  });

  it('an expired rotated-out key is refused (401 expired_api_key) while the new one works', async () => {
    edit((c) => (c.callers.support.previousKey.expiresAt = '2020-01-01T00:00:00.000Z'));
    assert.equal(gw.reloadConfig(), 'applied');
    const res = await chat(gw.url, hello('old key'), { ...auth(KEYS.support), 'x-gatehouse-task': 'chat' });
    assert.equal(res.status, 401);
    assert.equal(res.json.error.code, 'expired_api_key');
  });

  it('a limit added to the file applies to the next request', async () => {
    assert.equal(await status(gw, KEYS.analyst, 'summarize'), 200);
    edit((c) => (c.limits = { callers: { analyst: { rpm: 1 } } }));
    await waitFor(async () => (await configEntries(gw))[0]!.reason === 'config file reloaded' && JSON.stringify((await configEntries(gw))[0]!.details).includes('rpm'), 10_000, 'the reload');
    assert.equal(await status(gw, KEYS.analyst, 'summarize'), 200);
    assert.equal(await status(gw, KEYS.analyst, 'summarize'), 429);
    const changes = ((await configEntries(gw))[0]!.details as { changes: string[] }).changes;
    assert.ok(changes.includes('limits.callers.analyst: added'), changes.join('\n'));
  });

  it('a bad file is refused as a whole: the previous config stays, nothing is logged as loaded', async () => {
    const entries = (await configEntries(gw)).length;
    const good = readFileSync(gw.configFile, 'utf8');
    writeFileSync(gw.configFile, `${good}\ncallers: [not, a, map\n`);
    assert.equal(gw.reloadConfig(), 'rejected');
    writeFileSync(gw.configFile, good);
    // Valid on its own, but the live route table's model would be gone: refused too.
    edit((c) => {
      delete c.models.small;
      c.routes = [{ name: 'chat', match: { task: 'chat' }, primary: 'large' }, { name: 'summarize', match: { task: 'summarize' }, primary: 'large' }];
      c.callers.support.keyHash = hashApiKey('test-key-never-valid-0123456789abcdef');
    });
    assert.equal(gw.reloadConfig(), 'rejected');
    assert.equal((await configEntries(gw)).length, entries);
    assert.notEqual(await status(gw, KEYS.analyst, 'summarize'), 401, 'the analyst still authenticates');
    assert.equal(await status(gw, 'test-key-never-valid-0123456789abcdef'), 401, 'the refused file gave nobody access');
    writeFileSync(gw.configFile, good);
  });
});
