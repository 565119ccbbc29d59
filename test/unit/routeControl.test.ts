import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { type Config } from '../../src/config';
import { twoRouteConfig } from '../helpers/routeTable';
import { LiveConfig } from '../../src/config/liveConfig';
import { AUTO_ROLLBACK_AUTHOR } from '../../src/routes/control';
import { openRelease, type Release } from '../../src/routes/release';
import { Ledger } from '../../src/store/ledger';
import { refusalOf } from '../helpers/assertions';
import { DATABASES } from '../helpers/databases';

const base: Config = twoRouteConfig();
const logger = pino({ level: 'silent' });

for (const target of DATABASES) describe(`change-controlled route table (store + live config + changes) on ${target.name}`, { skip: target.skip }, () => {
  let file: string;
  let rel: Release;
  /** Release control as a process opens it: its own connection to the shared database. */
  const open = async (config: Config, address = file) => openRelease(config, await target.open(address), logger, { source: 'test.yaml', pollMs: 60_000 });
  before(async () => {
    file = await target.fresh();
    rel = await open(base);
  });
  after(async () => {
    await rel?.close();
  });
  const chatWith = (over: Record<string, unknown>) => [{ ...base.routes[0], ...over }, base.routes[1]];

  it('the config file seeds version 1 once', async () => {
    assert.equal(rel.live.snapshot().version, 1);
    const again = await open(base);
    assert.equal((await again.store.versions()).length, 1, 'a second process does not seed again');
    await again.close();
    assert.equal((await rel.store.latest())!.author, 'config-file');
  });

  it('a changed config file gives a new version while the table is still the file\'s own; after an admin change it is ignored', async () => {
    const db = await target.fresh();
    {
      await (await open(base, db)).close();
      const edited: Config = { ...base, routes: [{ ...base.routes[0]!, retries: 3 }, base.routes[1]!] };
      const second = await open(edited, db);
      assert.deepEqual([second.live.snapshot().version, (await second.store.latest())!.author, second.live.config().routes[0]!.retries], [2, 'config-file', 3]);
      await second.control.apply({ routes: [{ ...edited.routes[0]!, primary: 'c' }, edited.routes[1]!], basedOn: 2, reason: 'ops' }, 'root');
      await second.close();
      const third = await open(base, db);
      assert.deepEqual([third.live.snapshot().version, third.live.config().routes[0]!.primary], [3, 'c'], 'the admin\'s table stays live');
      await third.close();
    }
  });

  it('a change needs a reason, a valid table and the live version as its base', async () => {
    assert.equal(await refusalOf(() => rel.control.apply({ routes: chatWith({ primary: 'c' }), basedOn: 1, reason: ' ' }, 'root')), '400 reason_required');
    assert.equal(await refusalOf(() => rel.control.apply({ routes: chatWith({ primary: 'ghost' }), basedOn: 1, reason: 'x' }, 'root')), '400 invalid_route_table');
    assert.equal(await refusalOf(() => rel.control.apply({ routes: chatWith({ primary: 'c' }), basedOn: 0, reason: 'x' }, 'root')), '409 stale_route_table');
  });

  it('is stored with author, reason, version and diff; a second change on the old base is 409', async () => {
    const dry = (await rel.control.apply({ routes: chatWith({ primary: 'c' }), basedOn: 1, reason: 'try c', dryRun: true }, 'root'));
    assert.equal(dry.status, 'dry_run');
    assert.equal(rel.live.snapshot().version, 1, 'a dry run stores nothing');
    const r = (await rel.control.apply({ routes: chatWith({ primary: 'c' }), basedOn: 1, reason: 'try c' }, 'root'));
    assert.deepEqual([r.status, r.version, r.diffText], ['applied', 2, ['~ route chat', '    primary: a → c']]);
    assert.equal(rel.live.config().routes[0]!.primary, 'c', 'this process sees it at once');
    const v = (await rel.store.latest())!;
    assert.deepEqual([v.version, v.author, v.reason, v.action, v.basedOn], [2, 'root', 'try c', 'apply', 1]);
    assert.equal(await refusalOf(() => rel.control.apply({ routes: chatWith({ primary: 'b' }), basedOn: 1, reason: 'late' }, 'other')), '409 stale_route_table');
  });

  it('another process sees the new version on its next look', async () => {
    const other = await LiveConfig.open(base, rel.store, logger, { source: 'test.yaml', pollMs: 60_000 });
    await rel.control.apply({ routes: chatWith({ primary: 'c', fallbacks: ['a'] }), basedOn: 2, reason: 'fallback a' }, 'root');
    assert.equal(other.snapshot().version, 2);
    assert.equal(await other.refresh(), true);
    assert.equal(other.snapshot().version, 3);
    assert.deepEqual(other.config().routes[0]!.fallbacks, ['a']);
    other.stop();
  });

  it('rollback restores the earlier table exactly, as a new recorded version', async () => {
    const r = (await rel.control.rollback(1, 'c misbehaves', 'root'));
    assert.equal(r.version, 4);
    assert.deepEqual((await rel.store.version(4))!.routes, (await rel.store.version(1))!.routes, 'byte for byte the same table');
    assert.deepEqual(rel.live.config().routes, base.routes);
    assert.equal((await rel.store.latest())!.reason, 'rollback to v1: c misbehaves');
    assert.equal((await rel.control.rollback(1, 'again', 'root')).status, 'unchanged');
    assert.equal(await refusalOf(() => rel.control.rollback(99, 'x', 'root')), '404 version_not_found');
  });

  it('a change to a protected route waits for a second admin', async () => {
    const routes = [base.routes[0], { ...base.routes[1], primary: 'c' }];
    const r = (await rel.control.apply({ routes, basedOn: 4, reason: 'sum on c' }, 'root'));
    assert.equal(r.status, 'pending_approval');
    assert.equal(rel.live.snapshot().version, 4, 'not live yet');
    assert.equal(await refusalOf(() => rel.control.approve(r.pendingId!, 'root')), '403 second_admin_required');
    const ok = (await rel.control.approve(r.pendingId!, 'ops2', 'looked fine'));
    assert.deepEqual([ok.status, ok.version], ['applied', 5]);
    const v = (await rel.store.latest())!;
    assert.deepEqual([v.author, v.approvedBy], ['root', 'ops2']);
    assert.equal(await refusalOf(() => rel.control.approve(r.pendingId!, 'ops2')), '409 change_not_pending');
  });

  it('kill switch: logged on and off, visible in the snapshot; unknown names 404', async () => {
    assert.deepEqual((await rel.control.setEnabled('b', false, 'incident 7', 'root')), { kind: 'model', name: 'b', changed: true });
    assert.equal(rel.live.snapshot().disabledModels.get('b'), 'incident 7');
    assert.equal((await rel.control.setEnabled('b', false, 'again', 'root')).changed, false);
    assert.equal((await rel.control.setEnabled('chat', false, 'noisy', 'root')).kind, 'route');
    assert.equal(rel.live.snapshot().disabledRoutes.get('chat'), 'noisy');
    await rel.control.setEnabled('b', true, 'fixed', 'root');
    await rel.control.setEnabled('chat', true, 'fixed', 'root');
    assert.equal(rel.live.snapshot().disabledModels.size + rel.live.snapshot().disabledRoutes.size, 0);
    assert.equal(await refusalOf(() => rel.control.setEnabled('nothing', false, 'x', 'root')), '404 target_not_found');
    const actions = (await rel.store.changes(4)).map((c) => `${c.action} ${c.target} ${c.author}: ${c.reason}`);
    assert.deepEqual(actions, ['enable route chat root: fixed', 'enable model b root: fixed', 'disable route chat root: noisy', 'disable model b root: incident 7']);
  });

  it('automatic rollback: past the threshold the canary share drops to zero as a recorded change', async () => {
    const canary = { model: 'c', share: 1, rollback: { maxErrorRate: 0.5, minRequests: 3, window: '5m' } };
    const [chat, sum] = rel.live.config().routes;
    const { version, status } = (await rel.control.apply({ routes: [{ ...chat, canary }, sum], basedOn: 5, reason: 'canary c' }, 'root'));
    assert.equal(status, 'applied', 'the protected route is untouched: no approval needed');
    const ledger = new Ledger(await target.open(file));
    const record = (id: string, ok: boolean, v = version) =>
      ledger.record({
        requestId: id, caller: 'bot', team: 't', task: 'chat', route: 'chat', model: 'a', status: 'completed', errorCode: null, usage: null, latencyMs: 10,
        attempts: ok ? [{ model: 'c', outcome: 'ok', latencyMs: 5 }] : [{ model: 'c', outcome: 'failed', error: 'ProviderServerError' }, { model: 'a', outcome: 'ok' }],
        explanation: null, stage: 'canary', routeTableVersion: v,
      });
    for (let i = 0; i < 5; i++) await record(`old-${i}`, false, version - 1); // another setting's failures do not count
    await record('r1', false);
    await record('r2', true);
    assert.equal((await rel.autoRollback.check('chat', 'canary')), undefined, 'two outcomes: below minRequests');
    await record('r3', false);
    const done = (await rel.autoRollback.check('chat', 'canary'))!;
    assert.equal(done.version, version + 1);
    assert.equal(rel.live.config().routes[0]!.canary!.share, 0);
    const v = (await rel.store.latest())!;
    assert.equal(v.author, AUTO_ROLLBACK_AUTHOR);
    assert.equal(v.action, 'auto-rollback');
    assert.match(v.reason, /canary of chat \(c\) rolled back: error rate 66\.7% \(2\/3\) > 50% in the last 5m/);
    assert.equal((await rel.autoRollback.check('chat', 'canary')), undefined, 'already at zero: no second change');
  });
});
