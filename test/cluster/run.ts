/**
 * `npm run test:cluster`: the gateway against a production Temporal server instead of the dev
 * server. Starts PostgreSQL, `temporal-server` on it (built once with `gatehouse temporal
 * install-server`) and Redis, shared by every test file through the environment, then node's test
 * runner over test/cluster/*.test.ts (one file at a time: each starts several gateway processes).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/temporal/devServer';
import { ensureTemporalServer } from '../../src/temporal/serverBuild';
import { buildWorkflowBundle } from '../../src/temporal/workflowBundle';
import { hasPostgres, startPostgres } from './postgres';
import { startTemporalServer } from './temporalServer';

const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const log = (m: string) => console.error(`[cluster] ${m}`);

function testFiles(): string[] {
  return readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join('test', 'cluster', f))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
}

async function startRedis(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited ${code}:\n${out}`)));
  });
  return { url: `redis://127.0.0.1:${port}`, child };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const child = spawn(cmd, args, { stdio: 'inherit', env });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

async function main(): Promise<number> {
  if (!hasPostgres()) throw new Error('PostgreSQL 15 is not installed (apt-get install postgresql); .ci/run installs it');
  if (spawnSync('redis-server', ['--version']).error) throw new Error('redis-server is not on PATH (apt-get install redis-server)');
  const install = await ensureTemporalServer({ log });
  const tmp = mkdtempSync(join(tmpdir(), 'gatehouse-cluster-'));
  const cleanups: Array<() => unknown> = [];
  try {
    // Gateway processes are launched with bin/gatehouse: a fresh dist/ first, as npm test does.
    const build = run(join(__dirname, '..', '..', 'bin', 'gatehouse'), ['build', '--if-stale']);
    const bundle = buildWorkflowBundle(join(tmp, 'workflows.js'));
    bundle.catch(() => {});
    const pg = await startPostgres();
    cleanups.push(() => pg.stop());
    const server = await startTemporalServer(install, pg, join(tmp, 'temporal'), log);
    cleanups.push(() => server.stop());
    const redis = await startRedis();
    cleanups.push(() => redis.child.kill('SIGTERM'));
    if ((await build) !== 0) throw new Error('bin/gatehouse build failed');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: server.address,
      REDIS_URL: redis.url,
      // The tests create their own databases on it (freshPostgres), as under npm test.
      GATEHOUSE_TEST_POSTGRES_URL: pg.url('postgres'),
      GATEHOUSE_TEST_WORKFLOW_BUNDLE: await bundle,
      GATEHOUSE_LOG_LEVEL: process.env.GATEHOUSE_LOG_LEVEL ?? 'warn',
      GATEHOUSE_TEMPORAL_LOG_LEVEL: process.env.GATEHOUSE_TEMPORAL_LOG_LEVEL ?? 'ERROR',
    };
    const args = ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=480000', '--test-reporter=spec', ...testFiles()];
    return await run(process.execPath, args, env);
  } finally {
    for (const c of cleanups.reverse()) await c();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
