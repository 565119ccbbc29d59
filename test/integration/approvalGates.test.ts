import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashApiKey } from '../../src/auth';
import { runRoutesCommand } from '../../src/cli/routes';
import { chat, hello, startTestGateway, type TestGateway } from '../helpers/gateway';
import { api } from '../helpers/review';

const KEYS = {
  app: 'test-key-gates-app-0123456789abcdef',
  tester: 'test-key-gates-tester-0123456789ab',
  root: 'test-key-gates-admin-root-01234567',
  ops2: 'test-key-gates-admin-ops2-01234567',
};
const as = (who: keyof typeof KEYS) => ({ authorization: `Bearer ${KEYS[who]}` });

/**
 * Approval gates: a change to a gated route serves at once, but only its test callers and the risk
 * levels it is cleared for, until a second admin approves that very definition; high risk never
 * reaches it before.
 */
describe('approval gates on routes', () => {
  let gw: TestGateway;
  const ask = (who: 'app' | 'tester', risk: string) => chat(gw.url, hello(`gated ${risk}`), { ...as(who), 'x-gatehouse-task': 'gated', 'x-gatehouse-risk': risk });
  const admin = (method: string, path: string, body: unknown, who: 'root' | 'ops2') => api(gw.url, method, path, as(who), body);
  const change = async (who: 'root' | 'ops2', primary: string) => {
    const live = (await admin('GET', '/admin/routes', undefined, who)).json;
    const routes = live.routes.map((r: { name: string }) => (r.name === 'gated' ? { ...r, primary } : r));
    const res = await admin('PUT', '/admin/routes', { routes, basedOn: live.version, reason: `gated → ${primary}` }, who);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    return res.json.version as number;
  };

  before(async () => {
    gw = await startTestGateway({
      config: (url) => ({
        providers: { mock: { kind: 'openai-compatible', baseUrl: url } },
        models: { small: { provider: 'mock', upstream: 'mock-small' }, large: { provider: 'mock', upstream: 'mock-large' }, huge: { provider: 'mock', upstream: 'mock-huge' } },
        callers: {
          app: { team: 'web', tasks: ['gated'], keyHash: hashApiKey(KEYS.app) },
          tester: { team: 'qa', tasks: ['gated'], keyHash: hashApiKey(KEYS.tester) },
          root: { team: 'ops', roles: ['admin'], keyHash: hashApiKey(KEYS.root) },
          ops2: { team: 'ops', roles: ['admin'], keyHash: hashApiKey(KEYS.ops2) },
        },
        routes: [{ name: 'gated', match: { task: 'gated' }, primary: 'small', testCallers: ['tester'], approval: { clearedRisk: ['low'] } }],
      }),
    });
  });
  after(() => gw?.close());

  it('the config file\'s definition is approved: every risk level is served', async () => {
    assert.equal((await ask('app', 'high')).status, 200);
    assert.deepEqual((await admin('GET', '/admin/routes', undefined, 'root')).json.unapproved, []);
  });

  it('a changed definition is proposed: test callers and cleared risk only; high risk is refused, never served', async () => {
    const version = await change('root', 'large');
    const table = (await admin('GET', '/admin/routes', undefined, 'ops2')).json;
    assert.deepEqual(table.unapproved, [{ route: 'gated', proposed_by: 'root', since: version }]);
    const low = await ask('app', 'low');
    assert.equal(low.status, 200);
    assert.equal(low.json.gatehouse.model, 'large', 'the proposed definition serves what it is cleared for');
    assert.equal((await ask('tester', 'medium')).status, 200, 'its test callers, at any risk but high');
    const calls = gw.mock.calls('mock-large');
    for (const [who, risk] of [['app', 'medium'], ['app', 'high'], ['tester', 'high']] as const) {
      const res = await ask(who, risk);
      assert.equal(res.status, 403, `${who} ${risk}`);
      assert.equal(res.json.error.code, 'route_not_approved');
    }
    assert.equal(gw.mock.calls('mock-large'), calls, 'no refused request reached the model');
  });

  it('only a second admin approves it; then it serves everyone, and the approval is in the history', async () => {
    const self = await admin('POST', '/admin/routes/gated/approve', {}, 'root');
    assert.equal(self.status, 403);
    assert.equal(self.json.error.code, 'second_admin_required');
    const lines: string[] = [];
    const env = { GATEHOUSE_URL: gw.url, GATEHOUSE_KEY: KEYS.ops2 };
    assert.equal(await runRoutesCommand(['approve-route', 'gated', '--comment', 'checked the eval'], env, (l) => lines.push(l), (l) => lines.push(l)), 0, lines.join('\n'));
    assert.match(lines.join('\n'), /Route gated approved/);
    const high = await ask('app', 'high');
    assert.equal(high.status, 200);
    assert.equal(high.json.gatehouse.model, 'large');
    const history = (await admin('GET', '/admin/routes/history', undefined, 'root')).json;
    const entry = history.changes.find((c: { action: string }) => c.action === 'approve-route');
    assert.equal(entry.author, 'ops2');
    assert.match(entry.reason, /route gated \(v\d+, by root\) approved: checked the eval/);
  });

  it('an approval names one definition: the next edit is proposed again, and its author cannot approve it', async () => {
    await change('ops2', 'huge');
    assert.equal((await ask('app', 'high')).json.error.code, 'route_not_approved');
    assert.equal((await admin('POST', '/admin/routes/gated/approve', {}, 'ops2')).json.error.code, 'second_admin_required');
    const ok = await admin('POST', '/admin/routes/gated/approve', { comment: 'fine' }, 'root');
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.equal(ok.json.changed, true);
    assert.equal((await ask('app', 'high')).json.gatehouse.model, 'huge');
  });
});
