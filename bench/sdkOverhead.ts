/**
 * `npm run bench:sdk`: the Temporal TypeScript SDK's own cost on this machine, with no gateway code:
 * a bare workflow and one with three no-op local activities, started eagerly on a fresh dev server,
 * 200 times each in sequence. Prints wall time and this process's CPU per workflow; the difference
 * divided by three is the price of one local activity (why the gateway folds its steps together).
 */
import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTemporalCli } from '../src/temporal/cli';
import { isPortFree, startDevServer } from '../src/temporal/devServer';

const RUNS = 200;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sdk-bench-'));
  let port = 17900;
  while (!(await isPortFree(port))) port++;
  const server = await startDevServer({ cliPath: await ensureTemporalCli(), port, ui: false, dbFile: join(dir, 'temporal.db'), searchAttributes: {} });
  const connection = await NativeConnection.connect({ address: server.address });
  try {
    const worker = await Worker.create({ connection, taskQueue: 'sdk-bench', workflowsPath: require.resolve('./sdk/workflows'), activities: { noop: async () => 1 } });
    const client = new Client({ connection });
    await worker.runUntil(async () => {
      for (const type of ['bare', 'threeLocalActivities']) console.log(await measure(client, type));
    });
  } finally {
    await connection.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(client: Client, type: string): Promise<string> {
  const run = (i: number) => client.workflow.execute(type, { taskQueue: 'sdk-bench', workflowId: `${type}-${i}-${Date.now()}`, requestEagerStart: true });
  for (let i = 0; i < 20; i++) await run(-i - 1); // warm-up
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < RUNS; i++) await run(i);
  const wall = (performance.now() - t0) / RUNS;
  const cpu = process.cpuUsage(cpu0);
  return `${type.padEnd(22)} ${wall.toFixed(1)} ms wall, ${((cpu.user + cpu.system) / 1000 / RUNS).toFixed(1)} ms CPU per workflow (client + worker)`;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
