import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashApiKey } from '../../src/auth';
import { runUsageCommand } from '../../src/cli/usage';
import type { UsageGroup, UsageReport } from '../../src/reports/usage';
import { auth, chat, hello, send, startTestGateway, type TestGateway } from '../helpers/gateway';

const key = (name: string) => `test-key-usage-${name}-0123456789abcdef`;
const CARD = '4111 1111 1111 1111';

const config = (mockUrl: string) => ({
  providers: { mock: { kind: 'openai-compatible', baseUrl: mockUrl } },
  models: {
    small: { provider: 'mock', upstream: 'mock-small' },
    large: { provider: 'mock', upstream: 'mock-large' },
    broken: { provider: 'mock', upstream: 'mock-small+status=500' },
  },
  callers: {
    support: { team: 'support', roles: ['caller'], tasks: ['chat', 'guarded', 'rescue'], keyHash: hashApiKey(key('support')) },
    analyst: { team: 'data', roles: ['caller'], tasks: ['summarize'], keyHash: hashApiKey(key('analyst')) },
    boss: { team: 'ops', roles: ['admin'], keyHash: hashApiKey(key('boss')) },
    books: { team: 'finance', roles: ['auditor'], keyHash: hashApiKey(key('books')) },
    eye: { team: 'ops', roles: ['reviewer'], keyHash: hashApiKey(key('eye')) },
  },
  routes: [
    { name: 'chat', match: { task: 'chat' }, primary: 'small', timeout: '5s' },
    { name: 'guarded', match: { task: 'guarded' }, primary: 'small', sensitivity: { action: 'block' } },
    { name: 'rescue', match: { task: 'rescue' }, primary: 'broken', fallbacks: ['large'], timeout: '5s', retries: 0 },
    { name: 'summarize', match: { task: 'summarize' }, primary: 'large', timeout: '5s' },
  ],
});

describe('usage and cost report: GET /admin/usage and gatehouse usage, from the ledger', () => {
  let gw: TestGateway;
  const tokensIn: Record<string, number> = {};
  const usage = (query: string, who = 'boss') => send(gw.url, `/admin/usage?${query}`, undefined, auth(key(who)), 'GET');
  const group = (r: UsageReport, k: string): UsageGroup => r.groups.find((g) => g.key === k)!;

  before(async () => {
    gw = await startTestGateway({ config });
    const ask = async (who: string, task: string, content: string, status: number) => {
      const res = await chat(gw.url, hello(content), { ...auth(key(who)), 'x-gatehouse-task': task });
      assert.equal(res.status, status, JSON.stringify(res.json));
      tokensIn[task] = (tokensIn[task] ?? 0) + (res.json.usage?.prompt_tokens ?? 0);
      return res;
    };
    await ask('support', 'chat', 'first question', 200);
    await ask('support', 'chat', 'second question', 200);
    await ask('support', 'guarded', `my card is ${CARD}`, 403);
    const rescued = await ask('support', 'rescue', 'please answer', 200);
    assert.equal(rescued.json.gatehouse.model, 'large');
    await ask('analyst', 'summarize', 'summarize this', 200);
  });
  after(() => gw?.close());

  it('by team: requests, blocks by reason, fallbacks, tokens and latency per team and per day', async () => {
    const res = await usage('by=team&since=1h');
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const r = res.json as UsageReport;
    assert.equal(r.by, 'team');
    assert.deepEqual(r.groups.map((g) => [g.key, g.requests]), [['support', 4], ['data', 1]]);
    const support = group(r, 'support');
    assert.deepEqual(support.blocks, { sensitive_data_blocked: 1 });
    assert.equal(support.errors, 0);
    assert.equal(support.fallbacks, 1);
    assert.equal(support.promptTokens, tokensIn.chat! + tokensIn.rescue!);
    assert.ok(support.promptTokens > 0 && support.completionTokens > 0);
    assert.ok(support.p50LatencyMs !== null && support.p95LatencyMs! >= support.p50LatencyMs);
    assert.equal(support.days.length, 1);
    assert.equal(support.days[0]!.day, new Date().toISOString().slice(0, 10));
    assert.equal(support.days[0]!.requests, 4);
    assert.equal(r.total.requests, 5);
  });

  it('by route: the refusal and the fallback land on their own routes', async () => {
    const r = (await usage('by=route&since=1h')).json as UsageReport;
    assert.deepEqual(Object.fromEntries(r.groups.map((g) => [g.key, g.requests])), { chat: 2, guarded: 1, rescue: 1, summarize: 1 });
    assert.deepEqual(group(r, 'guarded').blocks, { sensitive_data_blocked: 1 });
    assert.equal(group(r, 'guarded').p50LatencyMs, null, 'a refusal has no provider latency');
    assert.equal(group(r, 'rescue').fallbacks, 1);
    assert.equal(group(r, 'chat').fallbacks, 0);
    assert.equal(group(r, 'chat').promptTokens, tokensIn.chat);
  });

  it('the auditor role may read it; a caller or a reviewer key gets 403, no key 401', async () => {
    assert.equal((await usage('by=model', 'books')).status, 200);
    for (const who of ['support', 'eye']) {
      const res = await usage('by=team', who);
      assert.equal(res.status, 403, who);
      assert.equal(res.json.error.code, 'admin_or_auditor_role_required');
    }
    assert.equal((await send(gw.url, '/admin/usage', undefined, {}, 'GET')).status, 401);
  });

  it('a bad query is a 400 with a stable code, never a 500', async () => {
    for (const [query, code] of [['by=prompt', 'invalid_query'], ['by=team&by=route', 'invalid_query'], ['bogus=1', 'invalid_query'], ['since=yesterday', 'invalid_since'], [`since=${'9'.repeat(80)}d`, 'invalid_query']]) {
      const res = await usage(query!);
      assert.equal(res.status, 400, query);
      assert.equal(res.json.error.code, code, query);
    }
  });

  it('gatehouse usage prints CSV and JSON from the same API', async () => {
    const lines: string[] = [];
    const env = { GATEHOUSE_URL: gw.url, GATEHOUSE_KEY: key('books') };
    assert.equal(await runUsageCommand(['--by', 'route', '--since', '1h', '--format', 'csv'], env, (l) => lines.push(l), (l) => lines.push(l)), 0);
    const csv = lines.join('\n').split('\n');
    assert.equal(csv[0], 'route,day,requests,errors,blocks,tokens_in,tokens_out,cost_usd,p50_ms,p95_ms,fallbacks,cache_hits,saved_usd');
    const guarded = csv.find((l) => l.startsWith('guarded,all,'))!.split(',');
    assert.deepEqual([guarded[2], guarded[4]], ['1', 'sensitive_data_blocked=1']);
    lines.length = 0;
    assert.equal(await runUsageCommand(['--by', 'team', '--format', 'json'], env, (l) => lines.push(l), (l) => lines.push(l)), 0);
    assert.equal((JSON.parse(lines.join('\n')) as UsageReport).total.requests, 5);
    lines.length = 0;
    assert.equal(await runUsageCommand(['--by', 'team'], { ...env, GATEHOUSE_KEY: key('support') }, (l) => lines.push(l), (l) => lines.push(l)), 1);
    assert.match(lines.join('\n'), /^gatehouse usage: 403 admin_or_auditor_role_required/);
  });
});
