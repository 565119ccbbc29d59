import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCanaryCommand } from '../../src/cli/canary';
import { runModelsCommand } from '../../src/cli/models';
import { runRoutesCommand } from '../../src/cli/routes';
import { AUTO_ROLLBACK_AUTHOR } from '../../src/routes/control';
import { chat, hello, startTestGateway, type TestGateway } from '../helpers/gateway';
import { waitFor } from '../helpers/process';
import { RELEASE_KEYS, as, releaseConfig } from '../helpers/release';
import { api, waitForAsync } from '../helpers/review';

describe('release control through the admin API (one gateway)', () => {
  let gw: TestGateway;
  const ask = (task: string, content = `hello ${task}`) => chat(gw.url, hello(content), { ...as('caller'), 'x-gatehouse-task': task });
  const admin = (method: string, path: string, body?: unknown, who: Parameters<typeof as>[0] = 'root') => api(gw.url, method, path, as(who), body);
  const live = async () => (await admin('GET', '/admin/routes')).json;
  before(async () => {
    gw = await startTestGateway({ config: releaseConfig });
  });
  after(() => gw?.close());

  it('callers and reviewers can never change routes (403); reviewers may read; no key is 401', async () => {
    const { version, routes } = await live();
    const change = { routes, basedOn: version, reason: 'sneaky' };
    for (const who of ['caller', 'reviewer'] as const) {
      for (const [method, path, body] of [
        ['PUT', '/admin/routes', change],
        ['POST', '/admin/routes/rollback', { version: 1, reason: 'x' }],
        ['POST', '/admin/routes/disable', { target: 'chat', reason: 'x' }],
        ['POST', '/admin/routes/enable', { target: 'chat', reason: 'x' }],
        ['POST', '/admin/routes/changes/1/approve', {}],
      ] as const) {
        const res = await admin(method, path, body, who);
        assert.equal(res.status, 403, `${who} ${method} ${path}: ${JSON.stringify(res.json)}`);
        assert.equal(res.json.error.code, 'admin_role_required');
      }
    }
    assert.equal((await admin('GET', '/admin/routes', undefined, 'reviewer')).status, 200);
    assert.equal((await admin('GET', '/admin/routes', undefined, 'caller')).status, 403);
    assert.equal((await api(gw.url, 'GET', '/admin/routes', {})).status, 401);
    assert.equal((await live()).version, version, 'nothing changed');
  });

  it('a change is validated, diffed, versioned with author and reason; requests record the version', async () => {
    const before = await live();
    const routes = before.routes.map((r: any) => (r.name === 'chat' ? { ...r, primary: 'large', fallbacks: ['small'] } : r));
    const bad = await admin('PUT', '/admin/routes', { routes: [{ ...routes[0], primary: 'ghost' }], basedOn: before.version, reason: 'oops' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'invalid_route_table');
    assert.ok(bad.json.gatehouse.problems.includes('routes.0.primary: unknown model "ghost"'), JSON.stringify(bad.json));
    const res = await admin('PUT', '/admin/routes', { routes, basedOn: before.version, reason: 'large first for chat' });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(res.json.diff_text, ['~ route chat', '    fallbacks: ["large"] → ["small"]', '    primary: small → large']);
    assert.equal(res.json.version, before.version + 1);
    const stale = await admin('PUT', '/admin/routes', { routes, basedOn: before.version, reason: 'again' });
    assert.equal(stale.status, 409);
    assert.equal(stale.json.error.code, 'stale_route_table');

    const answer = await ask('chat');
    assert.equal(answer.json.gatehouse.model, 'large');
    assert.equal(answer.json.gatehouse.route_table_version, res.json.version);
    assert.equal((await gw.ledger.get(answer.json.gatehouse.request_id))?.route_table_version, res.json.version);

    const history = (await admin('GET', '/admin/routes/history')).json;
    assert.equal(history.live, res.json.version);
    assert.deepEqual(
      { author: history.changes[0].author, action: history.changes[0].action, reason: history.changes[0].reason, version: history.changes[0].version },
      { author: 'root', action: 'apply', reason: 'large first for chat', version: res.json.version },
    );
  });

  it('rollback restores the previous table exactly, as a recorded change', async () => {
    const now = await live();
    const previous = (await admin('GET', `/admin/routes/versions/${now.version - 1}`)).json;
    const res = await admin('POST', '/admin/routes/rollback', { version: now.version - 1, reason: 'large was slower' });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const restored = (await admin('GET', `/admin/routes/versions/${res.json.version}`)).json;
    assert.deepEqual(restored.routes, previous.routes);
    assert.equal(restored.action, 'rollback');
    assert.equal(restored.reason, `rollback to v${now.version - 1}: large was slower`);
    assert.equal((await ask('chat')).json.gatehouse.model, 'small');
  });

  it('a protected route changes only with a second admin', async () => {
    const now = await live();
    const routes = now.routes.map((r: any) => (r.name === 'summarize' ? { ...r, fallbacks: ['small'] } : r));
    const proposed = await admin('PUT', '/admin/routes', { routes, basedOn: now.version, reason: 'fallback for summaries' });
    assert.equal(proposed.status, 202, JSON.stringify(proposed.json));
    assert.equal(proposed.json.status, 'pending_approval');
    const self = await admin('POST', `/admin/routes/changes/${proposed.json.pending_id}/approve`, {});
    assert.equal(self.status, 403);
    const ok = await admin('POST', `/admin/routes/changes/${proposed.json.pending_id}/approve`, { comment: 'lgtm' }, 'ops2');
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.deepEqual((await live()).routes.find((r: any) => r.name === 'summarize').fallbacks, ['small']);
  });

  it('shadow: the caller gets the primary answer; the pair is compared and recorded', async () => {
    const res = await ask('shadowed', 'compare me');
    assert.equal(res.status, 200);
    assert.equal(res.json.gatehouse.model, 'small');
    assert.equal(res.json.choices[0].message.content, 'Mock answer to: compare me');
    assert.deepEqual(res.json.gatehouse.attempts.map((a: any) => a.model), ['small'], 'the shadow is no attempt of the request');
    const id = res.json.gatehouse.request_id;
    await waitFor(async () => (await gw.release.comparisons.get(id)) !== undefined, 15_000, 'the comparison row');
    const row = (await gw.release.comparisons.get(id))!;
    assert.deepEqual(
      [row.route, row.primaryModel, row.candidateModel, row.primaryOk, row.candidateOk, row.agreement, row.agreementMethod],
      ['shadowed', 'small', 'shad', true, true, 1, 'text'],
    );
    assert.ok(row.primaryLatencyMs !== null && row.candidateLatencyMs !== null, 'both latencies');
    assert.equal(row.routeTableVersion, res.json.gatehouse.route_table_version);

    gw.mock.queueFaults('mock-shad', ['status=500']);
    const broken = await ask('shadowed', 'shadow breaks');
    assert.equal(broken.status, 200, 'a failing shadow never changes the answer');
    assert.equal(broken.json.choices[0].message.content, 'Mock answer to: shadow breaks');
    const bid = broken.json.gatehouse.request_id;
    await waitFor(async () => (await gw.release.comparisons.get(bid)) !== undefined, 15_000, 'the failed pair');
    const failedPair = (await gw.release.comparisons.get(bid))!;
    assert.deepEqual([failedPair.candidateOk, failedPair.candidateError, failedPair.agreement], [false, 'ProviderServerError', null]);
  });

  it('auto-rollback: an error burst on the canary drops its share to zero, recorded and explained', async () => {
    gw.mock.queueFaults('mock-cand', ['status=500', 'status=500', 'status=500', 'status=500']);
    for (let i = 0; i < 4; i++) {
      const res = await ask('canary', `burst ${i}`);
      assert.equal(res.status, 200, 'the primary still answers');
      assert.equal(res.json.gatehouse.model, 'small');
    }
    await waitForAsync(async () => (await live()).routes.find((r: any) => r.name === 'canary').canary.share === 0, 5_000, 'the automatic rollback');
    const change = (await admin('GET', '/admin/routes/history')).json.changes[0];
    assert.equal(change.author, AUTO_ROLLBACK_AUTHOR);
    assert.equal(change.action, 'auto-rollback');
    assert.match(change.reason, /canary of canary \(cand\) rolled back: error rate 100% \(4\/4\) > 50%/);
    const after = await ask('canary', 'after');
    assert.equal(after.json.gatehouse.model, 'small');
    assert.doesNotMatch(after.json.gatehouse.explanation, /\(canary\)/);
  });

  it('the canary report: primary vs candidate, from the ledger and the comparisons', async () => {
    const split = (await admin('GET', '/admin/canary/canary?since=1h', undefined, 'reviewer')).json;
    assert.equal(split.split.candidate.requests, 4);
    assert.equal(split.split.candidate.errorRate, 1);
    assert.equal(split.split.primary.requests, 1);
    assert.equal(split.split.primary.errorRate, 0);
    const shadow = (await admin('GET', '/admin/canary/shadowed')).json;
    assert.equal(shadow.shadowPairs.pairs, 2);
    assert.equal(shadow.shadowPairs.candidate.errorRate, 0.5);
    assert.deepEqual(shadow.shadowPairs.agreement, { mean: 1, min: 1, scored: 1 });
    assert.equal((await admin('GET', '/admin/canary/nope')).status, 404);
    assert.equal((await admin('GET', '/admin/canary/canary', undefined, 'caller')).status, 403);
  });

  it('catalogue: deprecated models answer with a warning, proposed ones never run; GET /admin/models', async () => {
    const res = await ask('old');
    assert.equal(res.json.gatehouse.model, 'legacy');
    assert.deepEqual(res.json.gatehouse.warnings, ['model "legacy" is deprecated; it retires on 2999-01-01']);
    assert.match(res.json.gatehouse.explanation, /idea: not approved/);
    const models = (await admin('GET', '/admin/models', undefined, 'reviewer')).json.data;
    const small = models.find((m: any) => m.name === 'small');
    assert.deepEqual([small.status, small.owner, small.limitations], ['approved', 'platform', ['short answers']]);
    assert.equal(models.find((m: any) => m.name === 'idea').routable, false);
  });

  it('the CLI: routes apply FILE prints the diff and the new version; models list; canary report', async () => {
    const lines: string[] = [];
    const env = (key: string) => ({ GATEHOUSE_URL: gw.url, GATEHOUSE_KEY: key });
    const run = (fn: typeof runRoutesCommand, args: string[], key = RELEASE_KEYS.root) => fn(args, env(key), (l) => lines.push(l), (l) => lines.push(l));
    const now = await live();
    const file = join(gw.dir, 'routes.yaml');
    writeFileSync(file, stringify({ routes: now.routes.map((r: any) => (r.name === 'chat' ? { ...r, timeout: '7s' } : r)) }));
    assert.equal(await run(runRoutesCommand, ['apply', file]), 1, 'a reason is required');
    assert.match(lines.pop()!, /400 reason_required/);
    assert.equal(await run(runRoutesCommand, ['apply', file, '--reason', 'tighter timeout'], RELEASE_KEYS.reviewer), 1);
    assert.match(lines.pop()!, /403 admin_role_required/);
    assert.equal(await run(runRoutesCommand, ['apply', file, '--reason', 'tighter timeout']), 0, lines.join('\n'));
    assert.deepEqual(lines.splice(0), [`Changes against the live table v${now.version}:`, '  ~ route chat\n      timeout: 5s → 7s', `Applied: the live route table is now v${now.version + 1}.`]);
    assert.equal(await run(runModelsCommand, ['list'], RELEASE_KEYS.reviewer), 0);
    assert.match(lines.join('\n'), /legacy\s+deprecated\s+mock\/mock-legacy/);
    assert.equal(await run(runCanaryCommand, ['report', 'canary', '--since', '1h']), 0);
    assert.match(lines.join('\n'), /error rate\s+0%\s+100%/);
  });

  it('kill switch in flight: a workflow planned before the switch does not call the disabled model', async () => {
    gw.mock.queueFaults('mock-first', ['latency=1500,status=500']);
    const pending = ask('inflight', 'in flight');
    await waitFor(() => gw.mock.calls('mock-first') === 1, 10_000, 'the first call to start');
    const off = await admin('POST', '/admin/routes/disable', { target: 'second', reason: 'incident 12' });
    assert.equal(off.status, 200, JSON.stringify(off.json));
    const res = await pending;
    // The fallback was refused before any call; the caller hears the primary's own failure.
    assert.equal(res.status, 502, JSON.stringify(res.json));
    assert.equal(res.json.error.code, 'provider_error');
    assert.deepEqual(res.json.gatehouse.attempts.map((a: any) => [a.model, a.error]), [['first', 'ProviderServerError'], ['second', 'ModelDisabled']]);
    assert.equal(gw.mock.calls('mock-second'), 0);
    const later = await ask('inflight', 'later');
    assert.equal(later.status, 200, 'new requests plan around the disabled model');
    assert.match(later.json.gatehouse.explanation, /second: disabled \(kill switch\)/);
    assert.equal((await admin('POST', '/admin/routes/enable', { target: 'second', reason: 'fixed' })).status, 200);
  });

  it('kill switch in flight: a route disabled after a real failure answers 503 route_disabled, not 502 provider_error', async () => {
    const before = gw.mock.calls('mock-first');
    gw.mock.queueFaults('mock-first', ['latency=1500,status=500']);
    const pending = ask('inflight', 'route off in flight');
    await waitFor(() => gw.mock.calls('mock-first') === before + 1, 10_000, 'the first call to start');
    assert.equal((await admin('POST', '/admin/routes/disable', { target: 'inflight', reason: 'incident 14' })).status, 200);
    const res = await pending;
    assert.equal(res.status, 503, JSON.stringify(res.json));
    assert.equal(res.json.error.code, 'route_disabled');
    assert.match(res.json.error.message, /route "inflight" is disabled: incident 14; first error: first: .*\(HTTP 500\)/);
    assert.deepEqual(res.json.gatehouse.attempts.map((a: any) => [a.model, a.error]), [['first', 'ProviderServerError'], ['second', 'RouteDisabled']]);
    assert.equal(gw.mock.calls('mock-second'), 0);
    assert.equal((await admin('POST', '/admin/routes/enable', { target: 'inflight', reason: 'fixed' })).status, 200);
  });
});
