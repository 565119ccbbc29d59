import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chat, hello, startTestGateway, type TestGateway } from '../helpers/gateway';
import { REVIEWER_KEYS, asSupport, finalView, reviewConfig } from '../helpers/review';

const ROOT = join(__dirname, '..', '..');

/** Runs the real `gatehouse review …` command as its own process against the test gateway. */
function gatehouse(url: string, key: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'review', ...args], { cwd: ROOT, env: { ...process.env, GATEHOUSE_URL: url, GATEHOUSE_KEY: key } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('gatehouse review (CLI, real dev server)', () => {
  let gw: TestGateway;
  const heldRequest = async (content: string) => {
    const res = await chat(gw.url, hello(content), { ...asSupport, 'x-gatehouse-task': 'draft' });
    assert.equal(res.status, 202, JSON.stringify(res.json));
    return res.json.id as string;
  };
  before(async () => {
    gw = await startTestGateway({ config: (u) => reviewConfig(u) });
  });
  after(() => gw?.close());

  it('list → show → approve: the caller gets the answer', async () => {
    const id = await heldRequest('CLI approve me');
    const alice = REVIEWER_KEYS.alice;
    const [list, show] = await Promise.all([gatehouse(gw.url, alice, ['list']), gatehouse(gw.url, alice, ['show', id])]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`${id}\\s+draft\\s+support`));
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /--- answer ---\nMock answer to: CLI approve me/);
    const approve = await gatehouse(gw.url, alice, ['approve', id, '--comment', 'ok from the CLI']);
    assert.equal(approve.code, 0, approve.stderr);
    assert.match(approve.stdout, new RegExp(`${id}: approve by alice`));
    const view = await finalView(gw.url, id);
    assert.equal(view.result.choices[0].message.content, 'Mock answer to: CLI approve me');
    assert.equal(view.result.gatehouse.review.comment, 'ok from the CLI');
  });

  it('edit and reject; a second decision and a wrong reviewer fail with a clear message', async () => {
    const [editId, rejectId] = await Promise.all([heldRequest('CLI edit me'), heldRequest('CLI reject me')]);
    const alice = REVIEWER_KEYS.alice;
    const [edit, reject, wrong] = await Promise.all([
      gatehouse(gw.url, alice, ['edit', editId, '--content', 'Edited in the terminal.']),
      gatehouse(gw.url, alice, ['reject', rejectId, '--reason', 'off topic']),
      gatehouse(gw.url, REVIEWER_KEYS.bob, ['approve', editId]),
    ]);
    assert.equal(edit.code, 0, edit.stderr);
    assert.equal(reject.code, 0, reject.stderr);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /403 review_not_allowed/);
    assert.equal((await finalView(gw.url, editId)).result.choices[0].message.content, 'Edited in the terminal.');
    const rejected = await finalView(gw.url, rejectId);
    assert.deepEqual([rejected.http_status, rejected.error.code], [422, 'review_rejected']);
    const again = await gatehouse(gw.url, alice, ['approve', rejectId]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /409 review_already_decided/);
    const usage = await gatehouse(gw.url, alice, ['reject', rejectId]);
    assert.match(usage.stderr, /reject needs --reason/);
  });
});
