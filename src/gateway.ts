import { Client } from '@temporalio/client';
import type { Worker, WorkerOptions } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { CallerDirectory, loadDemoKey } from './auth';
import { loadConfigFile, type Config } from './config';
import { buildHttpServer, RequestStarter } from './http';
import { createLogger } from './log';
import { startMockProvider, type MockProvider } from './providers/mock';
import { createProviders } from './providers';
import { Ledger } from './store';
import { connectTemporal, type TemporalHandle } from './temporal/connection';
import { TASK_QUEUE } from './temporal/contract';
import { installTemporalRuntime } from './temporal/runtime';
import { createWorker } from './worker';

export interface GatewayOptions {
  configFile: string;
  env?: NodeJS.ProcessEnv;
  /** Ledger, dev-server state and demo key live here (default ./data). */
  dataDir?: string;
  /** Run the worker in this process (default true). */
  worker?: boolean;
  /** Serve HTTP from this process (default true). */
  http?: boolean;
  logger?: Logger;
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Default `gatehouse` (GATEHOUSE_TASK_QUEUE); tests use one per gateway on a shared server. */
  taskQueue?: string;
}

export interface RunningGateway {
  url?: string;
  uiUrl?: string;
  temporalAddress: string;
  namespace: string;
  demoKey?: string;
  mock?: MockProvider;
  config: Config;
  client: Client;
  starter: RequestStarter;
  ledger: Ledger;
  logger: Logger;
  stop(): Promise<void>;
}

/** Starts every part in order and returns one handle that stops them in reverse. */
export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const env = opts.env ?? process.env;
  const dataDir = resolve(opts.dataDir ?? env.GATEHOUSE_DATA_DIR ?? 'data');
  const logger = opts.logger ?? createLogger(env);
  const config = loadConfigFile(opts.configFile);
  installTemporalRuntime(logger, env.GATEHOUSE_TEMPORAL_LOG_LEVEL);
  const taskQueue = opts.taskQueue ?? env.GATEHOUSE_TASK_QUEUE ?? TASK_QUEUE;
  const stack: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const fn of stack.reverse()) await fn().catch((err) => logger.error({ err }, 'stop step failed'));
  };
  try {
    const mock = await startMockIfUsed(config, env, logger, stack);
    const temporal = await connectTemporal({ env, dataDir, log: (m) => logger.info(m) });
    stack.push(() => temporal.close());
    const ledger = new Ledger(env.GATEHOUSE_LEDGER ?? join(dataDir, 'ledger.db'));
    stack.push(async () => ledger.close());
    const client = new Client({ connection: temporal.connection, namespace: temporal.namespace });
    if (opts.worker !== false) await runWorker(opts, temporal, { config, env, mock, ledger, logger, taskQueue }, stack);
    const demoKey = hasDemoCaller(config) ? loadDemoKey(env, join(dataDir, 'demo-key')) : undefined;
    const starter = new RequestStarter(client, taskQueue);
    const url = opts.http === false ? undefined : await listen(config, starter, demoKey, env, logger, stack);
    return { url, uiUrl: temporal.uiUrl, temporalAddress: temporal.address, namespace: temporal.namespace, demoKey, mock, config, client, starter, ledger, logger, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function startMockIfUsed(config: Config, env: NodeJS.ProcessEnv, logger: Logger, stack: Array<() => Promise<void>>) {
  if (!Object.values(config.providers).some((p) => p.kind === 'mock')) return undefined;
  const mock = await startMockProvider({ port: Number(env.GATEHOUSE_MOCK_PORT ?? 0), logger });
  stack.push(() => mock.close());
  return mock;
}

interface WorkerParts {
  config: Config;
  env: NodeJS.ProcessEnv;
  mock?: MockProvider;
  ledger: Ledger;
  logger: Logger;
  taskQueue: string;
}

async function runWorker(opts: GatewayOptions, temporal: TemporalHandle, p: WorkerParts, stack: Array<() => Promise<void>>) {
  const providers = createProviders(p.config, p.env, p.mock?.url);
  const worker: Worker = await createWorker({
    connection: temporal.connection,
    namespace: temporal.namespace,
    deps: { config: () => p.config, providers, ledger: p.ledger, logger: p.logger },
    logger: p.logger,
    taskQueue: p.taskQueue,
    workflowBundle: opts.workflowBundle ?? (p.env.GATEHOUSE_WORKFLOW_BUNDLE ? { codePath: p.env.GATEHOUSE_WORKFLOW_BUNDLE } : undefined),
  });
  const running = worker.run();
  running.catch((err) => p.logger.fatal({ err }, 'worker stopped with an error'));
  stack.push(async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  });
}

async function listen(config: Config, starter: RequestStarter, demoKey: string | undefined, env: NodeJS.ProcessEnv, logger: Logger, stack: Array<() => Promise<void>>) {
  const callers = new CallerDirectory(config, demoKey);
  const app: FastifyInstance = buildHttpServer({ starter, callers: () => callers, config: () => config, logger });
  const port = Number(env.GATEHOUSE_PORT ?? 8080);
  const host = env.GATEHOUSE_HOST ?? '127.0.0.1';
  await app.listen({ port, host });
  stack.push(() => app.close());
  const addr = app.server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  return `http://${host}:${actualPort}`;
}

function hasDemoCaller(config: Config): boolean {
  return Object.values(config.callers).some((c) => c.demo);
}
