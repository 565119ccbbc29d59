/**
 * Rate limits shared through a real Redis: a redis-server on a free port, limiters in two separate
 * node processes and in two connections of this one. Skipped when redis-server is not installed.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { GatewayError } from '../../src/errors';
import { LimitsSchema, LoopDetector, RateLimiter } from '../../src/limits';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startMockProvider } from '../../src/mock';
import { KEYS, auth, chat, hello, testConfig } from '../helpers/gateway';
import { spawnGateway, type GatewayProcess } from '../helpers/process';
import { freePort } from '../../src/temporal/devServer';
import { DeploymentLoadTracker } from '../../src/balance/deploymentLoad';
import { RedisInFlight } from '../../src/balance/redisInFlight';
import { RedisResponseCache } from '../../src/store/responseCache';
import Redis from 'ioredis';

/** Polls `done` until it holds (10 s at most). */
async function until(done: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 10_000;
  while (!(await done())) {
    if (Date.now() > end) throw new Error('condition not reached within 10 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const hasRedis = !spawnSync('redis-server', ['--version']).error;
const skip = hasRedis ? false : 'redis-server is not on PATH (apt-get install redis-server); skipping the Redis rate-limit test';

describe('rate limits shared through Redis', { skip }, () => {
  let server: ChildProcess | undefined;
  let url = '';

  before(async () => {
    const port = await freePort();
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await waitForOutput(server, /Ready to accept connections/);
    url = `redis://127.0.0.1:${port}`;
  });

  after(() => {
    server?.kill('SIGTERM');
  });

  it('least-busy deployments: calls in flight on one connection are counted by another (and end there too)', async () => {
    const errors: Error[] = [];
    const [ra, rb] = [new Redis(url, { enableOfflineQueue: false }), new Redis(url, { enableOfflineQueue: false })];
    for (const r of [ra, rb]) r.on('error', (e) => errors.push(e));
    const a = new RedisInFlight(ra);
    const b = new RedisInFlight(rb);
    try {
      const key = `m@d-${Date.now()}`;
      const seenBy = (r: RedisInFlight) => new DeploymentLoadTracker(r).load(key).inFlight;
      await until(async () => a.connected && b.connected);
      a.started(key, 'c1');
      a.started(key, 'c2');
      b.started(key, 'c1'); // same call id, another process: a different member
      await until(async () => (await b.refresh(), b.count(key) === 3));
      assert.equal(seenBy(b), 3);
      a.finished(key, 'c1');
      a.finished(key, 'c2');
      await until(async () => (await b.refresh(), b.count(key) === 1));
      assert.deepEqual(errors, []);
    } finally {
      await a.close();
      await b.close();
      ra.disconnect();
      rb.disconnect();
    }
  });

  it('the response cache in Redis: one connection keeps an answer, another reads it, and it expires', async () => {
    const one = new Redis(url);
    const two = new Redis(url);
    try {
      const completion = { id: 'c', object: 'chat.completion' as const, created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'kept' }, finish_reason: 'stop' }] };
      await new RedisResponseCache(one).put('k1', { completion, model: 'small', storedAt: Date.now() }, 300);
      assert.equal((await new RedisResponseCache(two).get('k1'))?.completion.choices[0]?.message.content, 'kept');
      assert.ok((await two.pttl('gatehouse:cache:k1')) <= 300, 'Redis expires the entry itself');
    } finally {
      one.disconnect();
      two.disconnect();
    }
  });

  it('two node processes share one limit: rpm 5, 3 + 3 requests → exactly 5 admitted', async () => {
    const startAt = Date.now() + 2500; // both processes connect first, then fire together
    const [one, two] = await Promise.all([admittedInChild(url, startAt), admittedInChild(url, startAt)]);
    assert.equal(one + two, 5, `${one} + ${two}`);
  });

  it('two gateway processes share one limit through REDIS_URL: rpm 3, 2 + 2 requests → exactly 3 answered', async () => {
    const mock = await startMockProvider();
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-redis-'));
    const configFile = join(dir, 'gatehouse.config.yaml');
    writeFileSync(configFile, stringify(testConfig(mock.url, { limits: { callers: { support: { rpm: 3 } } } })));
    const gateways: GatewayProcess[] = [];
    try {
      for (const name of ['one', 'two']) {
        gateways.push(
          await spawnGateway({
            ...process.env,
            REDIS_URL: url,
            GATEHOUSE_CONFIG: configFile,
            GATEHOUSE_PORT: '0',
            GATEHOUSE_DATA_DIR: join(dir, name),
            GATEHOUSE_TASK_QUEUE: `redis-${name}-${Date.now()}`,
          }),
        );
      }
      const urls = gateways.map((g) => /Gateway:\s+(\S+)/.exec(g.output())![1]!);
      const statuses = [];
      for (const u of [...urls, ...urls]) statuses.push((await chat(u, hello('shared limit'), auth(KEYS.support))).status);
      assert.deepEqual([...statuses].sort(), [200, 200, 200, 429], statuses.join(','));
    } finally {
      for (const g of gateways) {
        g.child.kill('SIGTERM');
        await g.exited;
      }
      await mock.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('two connections in one process: shared buckets, and a refusal refunds the other buckets', async () => {
    const limits = LimitsSchema.parse({ callers: { 'bot-2': { rpm: 10 } }, teams: { support: { tpm: 100 } } });
    const a = new RateLimiter(limits, { redis: url });
    const b = new RateLimiter(limits, { redis: url });
    await Promise.all([a.ready(), b.ready()]);
    try {
      const req = { caller: 'bot-2', team: 'support' }; // not the caller the processes above used up
      await a.check({ ...req, tokens: 80 });
      const err = await b.check({ ...req, tokens: 50 }).then(() => assert.fail('expected 429'), (e: unknown) => e);
      assert.ok(err instanceof GatewayError && err.code === 'rate_limit_exceeded', String(err));
      assert.match(err.message, /team support: 100 tokens per minute/);
      const { headers } = await b.check({ ...req, tokens: 20 });
      assert.equal(headers['x-ratelimit-remaining-requests'], '8', 'the refused request did not count');
      assert.equal(headers['x-ratelimit-remaining-tokens'], '0');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('loop detection counts across connections', async () => {
    const loop = LimitsSchema.parse({ loop: { maxRepeats: 2, windowSeconds: 60 } }).loop;
    const [a, b] = [new LoopDetector(loop, { redis: url }), new LoopDetector(loop, { redis: url })];
    await Promise.all([a.ready(), b.ready()]);
    try {
      const messages = [{ role: 'user', content: 'again' }];
      await a.check({ caller: 'agent', messages });
      await b.check({ caller: 'agent', messages });
      await assert.rejects(a.check({ caller: 'agent', messages }), (e: GatewayError) => e.code === 'loop_detected');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('with Redis unreachable each process still enforces the limit in memory', async () => {
    const rl = new RateLimiter(LimitsSchema.parse({ callers: { 'bot-3': { rpm: 1 } } }), { redis: `redis://127.0.0.1:${await freePort()}` });
    try {
      await rl.check({ caller: 'bot-3', tokens: 0 });
      await assert.rejects(rl.check({ caller: 'bot-3', tokens: 0 }), (e: GatewayError) => e.code === 'rate_limit_exceeded');
    } finally {
      await rl.close();
    }
  });
});

const run = promisify(execFile);
const LIMITS_MODULE = resolve(__dirname, '../../src/limits');

/** A separate node process with its own RateLimiter on `url`: 3 concurrent requests, prints how many were admitted. */
async function admittedInChild(url: string, startAt: number): Promise<number> {
  const script = `
    const { RateLimiter, LimitsSchema } = require(${JSON.stringify(LIMITS_MODULE)});
    (async () => {
      const rl = new RateLimiter(LimitsSchema.parse({ callers: { bot: { rpm: 5 } } }), { redis: ${JSON.stringify(url)} });
      await rl.ready();
      await new Promise((r) => setTimeout(r, Math.max(0, ${startAt} - Date.now())));
      const results = await Promise.allSettled([1, 2, 3].map(() => rl.check({ caller: 'bot', tokens: 1 })));
      for (const r of results) if (r.status === 'rejected' && r.reason.code !== 'rate_limit_exceeded') throw r.reason;
      await rl.close();
      console.log(results.filter((r) => r.status === 'fulfilled').length);
    })().catch((err) => { console.error(err); process.exit(1); });`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--eval', script]);
  return Number(stdout.trim());
}

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolveReady, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`redis-server not ready after ${timeoutMs}ms:\n${seen}`)), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolveReady();
      }
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${seen}`)));
  });
}
