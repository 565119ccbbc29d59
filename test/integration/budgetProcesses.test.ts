/**
 * Budgets across machines: two gateway processes (separate data dirs, separate task queues and
 * workers) sharing one PostgreSQL. The policy test's promise holds across both: 20 parallel calls,
 * spread over the two front doors, never overshoot a hard team budget by more than one estimate.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashApiKey } from '../../src/auth';
import { auth, chat, hello, startTestGateway, type TestGateway } from '../helpers/gateway';
import { freshPostgres, skipWithoutPostgres } from '../helpers/postgres';
import { spawnGateway, type GatewayProcess } from '../helpers/process';

const KEY = 'test-key-crowd-0123456789abcdef';
/** $100 per 1M tokens in and out: a 500-token answer is ~$0.05, half the team's $0.10 a day. */
const config = (mockUrl: string) => ({
  providers: { mock: { kind: 'openai-compatible', baseUrl: mockUrl } },
  models: { priced: { provider: 'mock', upstream: 'mock-priced', price: { inputPerMTok: 100, outputPerMTok: 100 } } },
  callers: { crowd: { team: 'crowd-team', roles: ['caller'], tasks: ['budgeted'], keyHash: hashApiKey(KEY) } },
  routes: [{ name: 'budgeted', match: { task: 'budgeted' }, primary: 'priced' }],
  limits: { teams: { 'crowd-team': { budget: { dailyUsd: 0.1 } } } },
});

describe('a team budget shared by two gateway processes through PostgreSQL', { skip: skipWithoutPostgres }, () => {
  let a: TestGateway;
  let b: GatewayProcess;
  let bUrl: string;
  before(async () => {
    a = await startTestGateway({ config, env: { DATABASE_URL: await freshPostgres() } });
    b = await spawnGateway({ ...a.env, GATEHOUSE_CONFIG: a.configFile, GATEHOUSE_DATA_DIR: join(a.dir, 'b'), GATEHOUSE_PORT: '0', GATEHOUSE_TASK_QUEUE: `${a.taskQueue}-b` });
    bUrl = /Gateway:\s+(\S+)/.exec(b.output())![1]!;
  });
  after(async () => {
    b?.child.kill('SIGTERM');
    await b?.exited;
    await a?.close();
  });

  it('20 parallel calls over both front doors never overshoot the hard team budget by more than one estimate', async () => {
    const ask = (url: string, i: number) => chat(url, { ...hello(`parallel spend ${i}`), max_tokens: 500 }, { ...auth(KEY), 'x-gatehouse-task': 'budgeted' });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => ask(i % 2 ? bUrl : a.url, i)));
    const answeredBy = (side: number) => results.filter((r, i) => i % 2 === side && r.status === 200).length;
    assert.ok(answeredBy(0) + answeredBy(1) > 0, 'answers came back');
    assert.ok(results.every((r) => r.status === 200 || r.json.error?.code === 'budget_exceeded'), JSON.stringify(results.map((r) => r.status)));
    const ok = results.filter((r) => r.status === 200);
    const spent = ok.reduce((s, r) => s + r.json.gatehouse.cost_usd, 0);
    const maxEstimate = ((500 + 30) * 100) / 1e6; // max_tokens + prompt at $100/MTok
    assert.ok(ok.length >= 1 && ok.length < 20, `${ok.length} answered`);
    assert.ok(spent <= 0.1 + maxEstimate, `spent ${spent}`);
    // Every answered request's spend is in the one shared table, whichever process settled it.
    const settled = await a.db.get<{ n: number; usd: number }>(`SELECT count(*) AS n, sum(usd_nanos) AS usd FROM budget_spend WHERE state = 'settled'`);
    assert.equal(settled!.n, ok.length);
    assert.ok(Math.abs(settled!.usd / 1e9 - spent) < 1e-6, `${settled!.usd / 1e9} vs ${spent}`);
  });
});
