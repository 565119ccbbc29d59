/**
 * The Temporal floor (issue 18): the least a durable request costs with this SDK and this dev
 * server. An HTTP server whose handler starts one workflow (eager start; client and worker on one
 * NativeConnection; the dev server started exactly as Gatehouse starts it) that runs one local
 * activity calling the provider, and answers with its result. No policy, no ledger, no codec.
 * Started by `npm run bench` beside the gateway; env: FLOOR_PORT, FLOOR_MOCK_URL,
 * GATEHOUSE_TEMPORAL_PORT and GATEHOUSE_DATA_DIR (as the gateway's), and BENCH_FLOOR_WITH: a
 * comma list of Gatehouse's ingredients to add, to measure what each costs on its own (`codec`,
 * `attributes`, `prepare`, `seal`, `sdk`, `ledger`; see bench/floor/ingredients.ts and bench/README.md).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { connectTemporal } from '../../src/temporal/connection';
import { createFloorActivities } from './activities';
import { FLOOR_CALLER_KEY, floorIngredients, startOptions } from './ingredients';

const TASK_QUEUE = 'floor';
/** Gatehouse's own worker settings (src/worker.ts), so the comparison is of the work, not the tuning. */
const MAX_WORKFLOW_TASKS = 200;

async function main(): Promise<void> {
  const port = Number(process.env.FLOOR_PORT ?? 0);
  const mockUrl = process.env.FLOOR_MOCK_URL!;
  const temporal = await connectTemporal({ env: { ...process.env, GATEHOUSE_PORT: '0' }, dataDir: process.env.GATEHOUSE_DATA_DIR ?? 'data-floor', log: () => {} });
  const streams = new Map<string, (data: string) => void>();
  const withIt = await floorIngredients(process.env.BENCH_FLOOR_WITH, process.env.GATEHOUSE_DATA_DIR ?? 'data-floor', mockUrl);
  const worker = await Worker.create({
    dataConverter: withIt.dataConverter,
    connection: temporal.connection,
    namespace: temporal.namespace,
    taskQueue: TASK_QUEUE,
    workflowsPath: require.resolve('./workflows'),
    activities: createFloorActivities(mockUrl, (id, data) => streams.get(id)?.(data), withIt.inActivity),
    maxCachedWorkflows: 1000,
    maxConcurrentWorkflowTaskExecutions: MAX_WORKFLOW_TASKS,
    maxConcurrentLocalActivityExecutions: MAX_WORKFLOW_TASKS,
  });
  const client = new Client({ connection: temporal.connection, namespace: temporal.namespace, dataConverter: withIt.dataConverter });
  const server = createServer((req, res) => void handle(req, res).catch((err: unknown) => fail(res, err)));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
    const workflowId = `floor-${randomUUID()}`;
    if (body.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      streams.set(workflowId, (data) => res.write(`data: ${data}\n\n`));
    }
    const sealer = withIt.inActivity.keys?.sealer;
    const add = sealer ? { ...withIt.inWorkflow, credential: await sealer.seal(FLOOR_CALLER_KEY, { workflowId, purpose: 'start' }) } : withIt.inWorkflow;
    const handle = await client.workflow.start('floorRequest', { taskQueue: TASK_QUEUE, workflowId, args: [body, add], requestEagerStart: true, ...startOptions(withIt) });
    const result = await handle.result();
    if (body.stream) {
      streams.delete(workflowId);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
  }

  const running = worker.run();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  console.log(`floor is running on http://127.0.0.1:${typeof address === 'object' && address ? address.port : port} (Temporal ${temporal.address})`);
  const stop = async () => {
    server.close();
    worker.shutdown();
    await running.catch(() => undefined);
    await temporal.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

function fail(res: ServerResponse, err: unknown): void {
  if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message: err instanceof Error ? err.message : String(err) } }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
