import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runKeysCommand } from '../../src/cli/keys';
import { KEYS, auth, chat, hello, startTestGateway, type TestGateway } from '../helpers/gateway';
import { spawnGateway, waitFor, type GatewayProcess } from '../helpers/process';

describe('`gatehouse start` re-reads its config file on SIGHUP; two processes log one change', () => {
  let a: TestGateway;
  let b: GatewayProcess;
  let bUrl: string;
  before(async () => {
    a = await startTestGateway();
    // B polls its file only every 10 minutes: only SIGHUP can make it see the change in this test.
    b = await spawnGateway({ ...a.env, GATEHOUSE_CONFIG: a.configFile, GATEHOUSE_DATA_DIR: a.dir, GATEHOUSE_PORT: '0', GATEHOUSE_TASK_QUEUE: `${a.taskQueue}-b`, GATEHOUSE_RELOAD_MS: '600000' });
    bUrl = /Gateway:\s+(\S+)/.exec(b.output())![1]!;
  });
  after(async () => {
    b?.child.kill('SIGTERM');
    await b?.exited;
    await a?.close();
  });

  const status = async (url: string, key: string) => (await chat(url, hello(`hi ${Math.random()}`), { ...auth(key), 'x-gatehouse-task': 'chat' })).status;

  it('a rotated key works in the SIGHUPed process, the old one too; the change log has the reload once', async () => {
    const out: string[] = [];
    assert.equal(runKeysCommand(['rotate', 'support', '--config', a.configFile, '--write'], {}, (l) => out.push(l), () => {}), 0);
    const newKey = /^key:\s+(\S+)$/m.exec(out.join('\n'))![1]!;
    assert.equal(await status(bUrl, newKey), 401, 'B has not looked at the file yet');
    b.child.kill('SIGHUP');
    const deadline = Date.now() + 10_000;
    while ((await status(bUrl, newKey)) !== 200) {
      assert.ok(Date.now() < deadline, `the new key never worked in B:\n${b.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await status(bUrl, KEYS.support), 200, 'the old key still works until it expires');
    // A sees the file change by itself; both record it, the change log keeps one entry.
    await waitFor(async () => (await a.release.store.changes(100)).some((c) => c.reason === 'config file reloaded'), 10_000, 'A to reload');
    const reloads = (await a.release.store.changes(100)).filter((c) => c.action === 'config' && c.reason === 'config file reloaded');
    assert.equal(reloads.length, 1, JSON.stringify(reloads));
    assert.equal(b.child.exitCode, null, 'SIGHUP does not stop the process');
  });
});
