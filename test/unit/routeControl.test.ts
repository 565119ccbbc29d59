import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { type Config } from '../../src/config';
import { twoRouteConfig } from '../helpers/routeTable';
import { LiveConfig } from '../../src/config/liveConfig';
import { AUTO_ROLLBACK_AUTHOR } from '../../src/routes/control';
import { openRelease, type Release } from '../../src/routes/release';
import { Ledger } from '../../src/store/ledger';
import { refusal } from '../helpers/assertions';

const base: Config = twoRouteConfig();
const logger = pino({ level: 'silent' });

describe('change-controlled route table (store + live config + changes)', () => {
  let dir: string;
  let file: string;
  let rel: Release;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-routes-'));
    file = join(dir, 'ledger.db');
    new Ledger(file).close(); // the requests table, as the gateway opens it first
    rel = openRelease(base, file, logger, { source: 'test.yaml', pollMs: 60_000 });
  });
  after(() => {
    rel?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const chatWith = (over: Record<string, unknown>) => [{ ...base.routes[0], ...over }, base.routes[1]];

  it('the config file seeds version 1 once', () => {
    assert.equal(rel.live.snapshot().version, 1);
    const again = openRelease(base, file, logger, { source: 'test.yaml', pollMs: 60_000 });
    assert.equal(again.store.versions().length, 1, 'a second process does not seed again');
    again.close();
    assert.equal(rel.store.latest()!.author, 'config-file');
  });

  it('a changed config file gives a new version while the table is still the file\'s own; after an admin change it is ignored', () => {
    const other = mkdtempSync(join(tmpdir(), 'gatehouse-routes-file-'));
    const db = join(other, 'ledger.db');
    new Ledger(db).close();
    try {
      openRelease(base, db, logger, { source: 'test.yaml', pollMs: 60_000 }).close();
      const edited: Config = { ...base, routes: [{ ...base.routes[0]!, retries: 3 }, base.routes[1]!] };
      const second = openRelease(edited, db, logger, { source: 'test.yaml', pollMs: 60_000 });
      assert.deepEqual([second.live.snapshot().version, second.store.latest()!.author, second.live.config().routes[0]!.retries], [2, 'config-file', 3]);
      second.control.apply({ routes: [{ ...edited.routes[0]!, primary: 'c' }, edited.routes[1]!], basedOn: 2, reason: 'ops' }, 'root');
      second.close();
      const third = openRelease(base, db, logger, { source: 'test.yaml', pollMs: 60_000 });
      assert.deepEqual([third.live.snapshot().version, third.live.config().routes[0]!.primary], [3, 'c'], 'the admin\'s table stays live');
      third.close();
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('a change needs a reason, a valid table and the live version as its base', () => {
    assert.equal(refusal(() => rel.control.apply({ routes: chatWith({ primary: 'c' }), basedOn: 1, reason: ' ' }, 'root')), '400 reason_required');
    assert.equal(refusal(() => rel.control.apply({ routes: chatWith({ primary: 'ghost' }), basedOn: 1, reason: 'x' }, 'root')), '400 invalid_route_table');
    assert.equal(refusal(() => rel.control.apply({ routes: chatWith({ primary: 'c' }), basedOn: 0, reason: 'x' }, 'root')), '409 stale_route_table');
  });

  it('is stored with author, reason, version and diff; a second change on the old base is 409', () => {
    const dry = rel.control.apply({ routes: chatWith({ primary: 'c' }), basedOn: 1, reason: 'try c', dryRun: true }, 'root');
    assert.equal(dry.status, 'dry_run');
    assert.equal(rel.live.snapshot().version, 1, 'a dry run stores nothing');
    const r = rel.control.apply({ routes: chatWith({ primary: 'c' }), basedOn: 1, reason: 'try c' }, 'root');
    assert.deepEqual([r.status, r.version, r.diffText], ['applied', 2, ['~ route chat', '    primary: a → c']]);
    assert.equal(rel.live.config().routes[0]!.primary, 'c', 'this process sees it at once');
    const v = rel.store.latest()!;
    assert.deepEqual([v.version, v.author, v.reason, v.action, v.basedOn], [2, 'root', 'try c', 'apply', 1]);
    assert.equal(refusal(() => rel.control.apply({ routes: chatWith({ primary: 'b' }), basedOn: 1, reason: 'late' }, 'other')), '409 stale_route_table');
  });

  it('another process sees the new version on its next look', () => {
    const other = LiveConfig.open(base, rel.store, logger, { source: 'test.yaml', pollMs: 60_000 });
    rel.control.apply({ routes: chatWith({ primary: 'c', fallbacks: ['a'] }), basedOn: 2, reason: 'fallback a' }, 'root');
    assert.equal(other.snapshot().version, 2);
    assert.equal(other.refresh(), true);
    assert.equal(other.snapshot().version, 3);
    assert.deepEqual(other.config().routes[0]!.fallbacks, ['a']);
    other.stop();
  });

  it('rollback restores the earlier table exactly, as a new recorded version', () => {
    const r = rel.control.rollback(1, 'c misbehaves', 'root');
    assert.equal(r.version, 4);
    assert.deepEqual(rel.store.version(4)!.routes, rel.store.version(1)!.routes, 'byte for byte the same table');
    assert.deepEqual(rel.live.config().routes, base.routes);
    assert.equal(rel.store.latest()!.reason, 'rollback to v1: c misbehaves');
    assert.equal(rel.control.rollback(1, 'again', 'root').status, 'unchanged');
    assert.equal(refusal(() => rel.control.rollback(99, 'x', 'root')), '404 version_not_found');
  });

  it('a change to a protected route waits for a second admin', () => {
    const routes = [base.routes[0], { ...base.routes[1], primary: 'c' }];
    const r = rel.control.apply({ routes, basedOn: 4, reason: 'sum on c' }, 'root');
    assert.equal(r.status, 'pending_approval');
    assert.equal(rel.live.snapshot().version, 4, 'not live yet');
    assert.equal(refusal(() => rel.control.approve(r.pendingId!, 'root')), '403 second_admin_required');
    const ok = rel.control.approve(r.pendingId!, 'ops2', 'looked fine');
    assert.deepEqual([ok.status, ok.version], ['applied', 5]);
    const v = rel.store.latest()!;
    assert.deepEqual([v.author, v.approvedBy], ['root', 'ops2']);
    assert.equal(refusal(() => rel.control.approve(r.pendingId!, 'ops2')), '409 change_not_pending');
  });

  it('kill switch: logged on and off, visible in the snapshot; unknown names 404', () => {
    assert.deepEqual(rel.control.setEnabled('b', false, 'incident 7', 'root'), { kind: 'model', name: 'b', changed: true });
    assert.equal(rel.live.snapshot().disabledModels.get('b'), 'incident 7');
    assert.equal(rel.control.setEnabled('b', false, 'again', 'root').changed, false);
    assert.equal(rel.control.setEnabled('chat', false, 'noisy', 'root').kind, 'route');
    assert.equal(rel.live.snapshot().disabledRoutes.get('chat'), 'noisy');
    rel.control.setEnabled('b', true, 'fixed', 'root');
    rel.control.setEnabled('chat', true, 'fixed', 'root');
    assert.equal(rel.live.snapshot().disabledModels.size + rel.live.snapshot().disabledRoutes.size, 0);
    assert.equal(refusal(() => rel.control.setEnabled('nothing', false, 'x', 'root')), '404 target_not_found');
    const actions = rel.store.changes(4).map((c) => `${c.action} ${c.target} ${c.author}: ${c.reason}`);
    assert.deepEqual(actions, ['enable route chat root: fixed', 'enable model b root: fixed', 'disable route chat root: noisy', 'disable model b root: incident 7']);
  });

  it('automatic rollback: past the threshold the canary share drops to zero as a recorded change', () => {
    const canary = { model: 'c', share: 1, rollback: { maxErrorRate: 0.5, minRequests: 3, window: '5m' } };
    const [chat, sum] = rel.live.config().routes;
    const { version, status } = rel.control.apply({ routes: [{ ...chat, canary }, sum], basedOn: 5, reason: 'canary c' }, 'root');
    assert.equal(status, 'applied', 'the protected route is untouched: no approval needed');
    const ledger = new Ledger(file);
    const record = (id: string, ok: boolean, v = version) =>
      ledger.record({
        requestId: id, caller: 'bot', team: 't', task: 'chat', route: 'chat', model: 'a', status: 'completed', errorCode: null, usage: null, latencyMs: 10,
        attempts: ok ? [{ model: 'c', outcome: 'ok', latencyMs: 5 }] : [{ model: 'c', outcome: 'failed', error: 'ProviderServerError' }, { model: 'a', outcome: 'ok' }],
        explanation: null, stage: 'canary', routeTableVersion: v,
      });
    for (let i = 0; i < 5; i++) record(`old-${i}`, false, version - 1); // another setting's failures do not count
    record('r1', false);
    record('r2', true);
    assert.equal(rel.autoRollback.check('chat', 'canary'), undefined, 'two outcomes: below minRequests');
    record('r3', false);
    const done = rel.autoRollback.check('chat', 'canary')!;
    assert.equal(done.version, version + 1);
    assert.equal(rel.live.config().routes[0]!.canary!.share, 0);
    const v = rel.store.latest()!;
    assert.equal(v.author, AUTO_ROLLBACK_AUTHOR);
    assert.equal(v.action, 'auto-rollback');
    assert.match(v.reason, /canary of chat \(c\) rolled back: error rate 66\.7% \(2\/3\) > 50% in the last 5m/);
    assert.equal(rel.autoRollback.check('chat', 'canary'), undefined, 'already at zero: no second change');
    ledger.close();
  });
});
