/**
 * `npm test`: one Temporal dev server and one workflow bundle for the whole run, shared by every
 * test file through the environment; then node's test runner over unit and integration tests.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { ensureTemporalCli } from '../src/temporal/cli';
import { freePortPair, startDevServer } from '../src/temporal/devServer';
import { buildWorkflowBundle } from '../src/temporal/workflowBundle';
import { SEARCH_ATTRIBUTE_TYPES } from '../src/temporal/searchAttributes';
import { hasPostgres, startPostgres } from './helpers/postgres';

/** The slowest file takes ~75 s on a 2-core machine; eight minutes leaves room for a slower one (longer runs: TEST_FILE_TIMEOUT_MS). */
const FILE_TIMEOUT_MS = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 8 * 60_000);
const unitOnly = process.argv.includes('--unit');
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));

function testFiles(dir: string): string[] {
  return readdirSync(join(__dirname, dir))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join('test', dir, f))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
}

async function main(): Promise<number> {
  const files = [...testFiles('unit'), ...(unitOnly ? [] : testFiles('integration'))];
  const env: NodeJS.ProcessEnv = { ...process.env, GATEHOUSE_LOG_LEVEL: process.env.GATEHOUSE_LOG_LEVEL ?? 'warn',
    GATEHOUSE_TEMPORAL_LOG_LEVEL: process.env.GATEHOUSE_TEMPORAL_LOG_LEVEL ?? 'ERROR' };
  const tmp = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  // Only integration tests need Temporal and the workflow bundle (e.g. `npm test -- routeDiff` needs neither).
  const integration = files.some((f) => f.includes(`${sep}integration${sep}`));
  let stopServer = async () => {};
  let stopPostgres = async () => {};
  try {
    // One PostgreSQL for every file that runs a suite on it (each test makes its own database there).
    if (hasPostgres && !process.env.GATEHOUSE_TEST_POSTGRES_URL && usesPostgres(files)) {
      const pg = await startPostgres();
      stopPostgres = () => pg.stop();
      env.GATEHOUSE_TEST_POSTGRES_URL = pg.url;
    }
    if (integration) {
      const bundle = buildWorkflowBundle(join(tmp, 'workflows.js')); // beside the dev server's start
      bundle.catch(() => {}); // awaited below; not an unhandled rejection while the server starts
      // Tests that launch `bin/gatehouse` need a fresh dist/: built here once, not inside their timeouts.
      const build = launchesBin(files) ? buildIfStale() : Promise.resolve();
      build.catch(() => {});
      if (!process.env.TEMPORAL_ADDRESS) {
        const server = await startDevServer({
          cliPath: await ensureTemporalCli({ log: (m) => console.error(m) }),
          port: await freePortPair(17233),
          ui: false,
          dbFile: join(tmp, 'temporal.db'),
          searchAttributes: SEARCH_ATTRIBUTE_TYPES,
          log: () => {},
        });
        stopServer = () => server.stop();
        env.TEMPORAL_ADDRESS = server.address;
      }
      env.GATEHOUSE_TEST_WORKFLOW_BUNDLE = await bundle;
      await build;
    }
    return await runNodeTests(files, env);
  } finally {
    await stopServer();
    await stopPostgres();
    rmSync(tmp, { recursive: true, force: true });
  }
}

function usesPostgres(files: string[]): boolean {
  return files.some((f) => /helpers\/(databases|postgres)'/.test(readFileSync(f, 'utf8')));
}

function launchesBin(files: string[]): boolean {
  return files.some((f) => /spawnGateway|bin\/gatehouse/.test(readFileSync(f, 'utf8')));
}

function buildIfStale(): Promise<void> {
  const child = spawn(join(__dirname, '..', 'bin', 'gatehouse'), ['build', '--if-stale'], { stdio: 'inherit' });
  return new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bin/gatehouse build exited ${code}`)))));
}

function runNodeTests(files: string[], env: NodeJS.ProcessEnv): Promise<number> {
  // A file that hangs (e.g. a Temporal call with no deadline) is killed and reported by name, not left to stall CI.
  const args = ['--import', 'tsx', '--test', '--test-concurrency=2', `--test-timeout=${FILE_TIMEOUT_MS}`, '--test-reporter=spec', ...files];
  const child = spawn(process.execPath, args, { stdio: 'inherit', env });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
