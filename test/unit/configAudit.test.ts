import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashApiKey } from '../../src/auth';
import { parseConfigObject } from '../../src/config';
import { accessView, diffViews, viewHash } from '../../src/config/audit';
import { ReleaseStore } from '../../src/store/releaseStore';
import { openDatabase } from '../../src/db';

const config = (over: { callers?: Record<string, unknown>; limits?: unknown; providers?: unknown } = {}) =>
  parseConfigObject({
    providers: over.providers ?? { up: { kind: 'openai', baseUrl: 'https://user:s3cret-pass@api.example.com/v1', apiKeyEnv: 'UP_KEY' } },
    models: { small: { provider: 'up', upstream: 'gpt-4o-mini' } },
    callers: over.callers ?? {
      bot: { team: 't', tasks: ['chat'], keyHash: hashApiKey('k-old'), webhook: { url: 'https://hook:pw@hooks.example.com/x', secretEnv: 'HOOK' } },
    },
    routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'small' }],
    ...(over.limits ? { limits: over.limits } : {}),
  });

describe('config audit view', () => {
  it('holds who may do what, but no key hash, no URL credentials, no secret', () => {
    const text = JSON.stringify(accessView(config()));
    assert.ok(!text.includes(hashApiKey('k-old').slice(7)));
    assert.ok(!text.includes('s3cret-pass') && !text.includes('hook:pw'));
    assert.match(text, /"key":"fp:[0-9a-f]{8}"/);
    assert.match(text, /"apiKeyEnv":"UP_KEY"/);
  });

  it('diffs one line per change: callers added, key rotated, roles and budgets changed', () => {
    const before = accessView(config());
    const after = accessView(
      config({
        callers: {
          bot: { team: 't', roles: ['caller', 'admin'], tasks: ['chat'], keyHash: hashApiKey('k-new'), previousKey: { keyHash: hashApiKey('k-old'), expiresAt: '2026-01-08T00:00:00Z' } },
          eve: { team: 'x', tasks: ['chat'], keyHash: hashApiKey('k-eve') },
        },
        limits: { callerBudgets: { bot: { dailyUsd: 2 } } },
      }),
    );
    const lines = diffViews(before, after);
    assert.ok(lines.includes('callers.bot.roles: ["caller"] → ["caller","admin"]'), lines.join('\n'));
    assert.ok(lines.some((l) => /^callers\.bot\.key: "fp:\w{8}" → "fp:\w{8}"$/.test(l)), lines.join('\n'));
    assert.ok(lines.includes('callers.bot.previousKey: added'));
    assert.ok(lines.includes('callers.bot.webhook: removed'));
    assert.ok(lines.includes('callers.eve: added'));
    assert.ok(lines.includes('limits.callerBudgets.bot: added'));
    assert.deepEqual(diffViews(undefined, after), ['first recorded config']);
    assert.equal(viewHash(before), viewHash(accessView(config())), 'the same access, the same hash');
    assert.notEqual(viewHash(before), viewHash(after));
  });

  it('the change log records a config once per distinct content, diffed against the previous record', async () => {
    const db = await openDatabase(':memory:');
    const store = new ReleaseStore(db);
    const record = async (c: ReturnType<typeof config>, reason: string) => {
      const view = accessView(c);
      return (await store.recordConfig({ author: 'ops', source: 'gatehouse.config.yaml', reason, hash: viewHash(view), view, changesSince: (p) => diffViews(p as never, view) }));
    };
    assert.equal(await record(config(), 'loaded at start'), true);
    assert.equal(await record(config(), 'loaded at start'), false, 'a restart with the same file adds nothing');
    assert.equal(await record(config({ limits: { callerBudgets: { bot: { dailyUsd: 2 } } } }), 'reloaded'), true);
    const [latest, first] = (await store.changes(10));
    assert.deepEqual([latest?.action, latest?.author, latest?.reason], ['config', 'ops', 'reloaded']);
    assert.deepEqual((latest?.details as { changes: string[] }).changes, ['limits.callerBudgets.bot: added']);
    assert.deepEqual((first?.details as { changes: string[] }).changes, ['first recorded config']);
    await db.close();
  });
});
