import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before as beforeAll, describe, it } from 'node:test';
import pino from 'pino';
import type { ActivityDeps } from '../../activities/deps';
import { createPrepareActivities } from '../../activities/prepare';
import { CallerDirectory, hashApiKey, loadCredentialKeys } from '../../src/auth';
import { parseConfigObject, type Config } from '../../src/config';
import type { LiveSnapshot } from '../../src/config/liveConfig';
import { LimitsGate } from '../../src/limits';
import { SqliteDb } from '../../src/db/sqlite';
import { migrate } from '../../src/db';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-snapshot-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const KEY = 'gh_snapshot-test-key-0123456789';

/** Two route tables: the reload moves route `chat` from model `a` to model `b`. */
const table = (primary: string): Config =>
  parseConfigObject({
    providers: { p: { kind: 'openai', baseUrl: 'http://127.0.0.1:9/v1' } },
    models: { a: { provider: 'p', upstream: 'up-a' }, b: { provider: 'p', upstream: 'up-b' } },
    callers: { bot: { team: 't', tasks: ['chat'], keyHash: hashApiKey(KEY) } },
    routes: [{ name: 'chat', match: { task: 'chat' }, primary }],
  });
const before = table('a');
const reloaded = table('b');

/** The first read sees `first`, every later read `then`: a reload that lands right after prepare starts. */
function flipping<T>(first: T, then: T): { read: () => T; reads: () => number } {
  let n = 0;
  return { read: () => (n++ === 0 ? first : then), reads: () => n };
}

const keys = loadCredentialKeys({}, dir, { open: true });
const budgets = new SqliteDb(join(dir, 'budgets.db'));
const migrated = migrate(budgets); // before the gate's first look at its daily prune, and before any test
const limits = new LimitsGate(before.limits, { db: budgets });
after(async () => {
  await limits.close();
  await budgets.close();
});

function depsWith(over: Partial<ActivityDeps>): ActivityDeps {
  return {
    config: () => before,
    callers: () => new CallerDirectory(before),
    credentials: keys.opener!,
    providers: new Map(),
    ledger: undefined as never, // prepare writes nothing
    limits,
    health: { isAvailable: () => true },
    logger: pino({ level: 'silent' }),
    ...over,
  };
}

async function prepare(deps: ActivityDeps, requestId: string) {
  const startedAtMs = Date.now();
  const credential = await keys.sealer.seal(KEY, { workflowId: requestId, purpose: 'start' }, startedAtMs);
  const body = { model: 'auto', messages: [{ role: 'user' as const, content: 'hi' }] };
  return createPrepareActivities(deps).prepareRequest({ requestId, credential, task: 'chat', body, requestedModel: 'auto', workflowId: requestId, startedAtMs });
}

describe('prepare reads one config snapshot per request', () => {
  beforeAll(() => migrated);
  it('a config reload landing mid-prepare: admission and plan both use the first snapshot (deps.config read once)', async () => {
    const config = flipping(before, reloaded);
    const prepared = await prepare(depsWith({ config: config.read }), 'req-snap-1');
    assert.equal(prepared.admission.route, 'chat');
    assert.deepEqual(prepared.plan?.candidates.map((c) => c.model), ['a']);
    assert.equal(config.reads(), 1);
  });

  it('the same with release control: one live snapshot (its route table version and kill switch) for the whole prepare', async () => {
    const live = (config: Config, version: number, disabled: string[]): LiveSnapshot => ({
      config,
      version,
      disabledRoutes: new Map(),
      disabledModels: new Map(disabled.map((m) => [m, 'incident'])),
      unapprovedRoutes: new Map(),
    });
    // After the reload model `a` is also held by the kill switch: planning on it would refuse the request.
    const snap = flipping(live(before, 1, []), live(reloaded, 2, ['a']));
    const release = { snapshot: snap.read, comparisons: { record: () => {} }, autoRollback: { afterOutcome: () => {} } };
    const prepared = await prepare(depsWith({ release: release as unknown as ActivityDeps['release'] }), 'req-snap-2');
    assert.deepEqual(prepared.plan?.candidates.map((c) => c.model), ['a']);
    assert.equal(prepared.plan?.routeTableVersion, 1);
    assert.equal(snap.reads(), 1);
  });
});
