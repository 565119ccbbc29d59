import { Client } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { randomBytes } from 'node:crypto';
import { CallerDirectory, loadCredentialKeys, loadDemoKey } from './auth';
import { loadConfigFile, type Config } from './config';
import type { ReloadResult } from './config/reload';
import { watchConfig } from './configWatch';
import { createLogger } from './log';
import { startMockProvider, type MockProvider } from './mock';
import { mockKind } from './mock/kind';
import { Ledger } from './store';
import { FeedbackStore } from './store/feedback';
import { openDb, type Db } from './db';
import { schedule } from './db/maintenance';
import { pruneLedger, retentionDays, RETENTION_EVERY_MS } from './store/retention';
import { secureDataDir } from './store/privateFiles';
import { loadCodec } from './temporal/codec';
import { gatehouseDataConverter } from './temporal/dataConverter';
import { connectTemporal } from './temporal/connection';
import { TASK_QUEUE } from './temporal/contract';
import { RequestStarter } from './temporal/requestStarter';
import { installTemporalRuntime } from './temporal/runtime';
import { buildWorkflowBundle } from './temporal/workflowBundle';
import { StreamRegistry } from './streaming/registry';
import { StreamRelay } from './streaming/relay';
import { RelaySeal } from './streaming/relayMessage';
import type { EncryptionCodec } from './temporal/codec';
import { LimitsGate } from './limits/gate';
import { openRelease, type Release } from './routes/release';
import { GatewayMetrics } from './metrics/gatewayMetrics';
import { createTracing, type Tracing } from './tracing';
import type { GatewayParts, StopStack } from './gatewayParts';
import { listen, listenMetrics } from './gatewayHttp';
import { runWorker } from './gatewayWorker';
import { clientInterceptors } from './tracing/temporal';

export interface GatewayOptions {
  configFile: string;
  env?: NodeJS.ProcessEnv;
  /** Ledger, dev-server state, demo and codec keys live here (default ./data). */
  dataDir?: string;
  /** Run the worker in this process (default true). */
  worker?: boolean;
  /** Serve HTTP from this process (default true). */
  http?: boolean;
  logger?: Logger;
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Default `gatehouse` (GATEHOUSE_TASK_QUEUE); tests use one per gateway on a shared server. */
  taskQueue?: string;
  /**
   * Traces to this tracing instead of the one the OTEL_* variables describe (tests: an in-memory
   * exporter). Flushed, not shut down, by stop(): its owner shuts it down.
   */
  tracing?: Tracing;
}

export interface RunningGateway {
  url?: string;
  uiUrl?: string;
  temporalAddress: string;
  namespace: string;
  demoKey?: string;
  /** Where the demo key is kept (absent when it came from GATEHOUSE_DEMO_KEY). */
  demoKeyFile?: string;
  mock?: MockProvider;
  config: Config;
  client: Client;
  starter: RequestStarter;
  ledger: Ledger;
  /** The process's one database (SQLite file, or PostgreSQL with DATABASE_URL): every store's. */
  db: Db;
  logger: Logger;
  /** Release control: live route table, change log, kill switch, comparisons. */
  release: Release;
  /** This process's Prometheus series (GET /metrics with an admin key). */
  metrics: GatewayMetrics;
  /** The keyless metrics listener, when GATEHOUSE_METRICS_PORT is set. */
  metricsUrl?: string;
  /** Traces (src/tracing), when OTEL_EXPORTER_OTLP_ENDPOINT is set or a tracing was given; else off. */
  tracing?: Tracing;
  /** Re-reads the config file now (SIGHUP): all or nothing, recorded in the change log. */
  reloadConfig(): ReloadResult;
  stop(): Promise<void>;
}

/** Starts every part in order and returns one handle that stops them in reverse. */
export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const env = opts.env ?? process.env;
  const dataDir = resolve(opts.dataDir ?? env.GATEHOUSE_DATA_DIR ?? 'data');
  const logger = opts.logger ?? createLogger(env);
  const config = loadConfigFile(opts.configFile);
  secureDataDir(dataDir); // 0700, and anything an older version left readable narrowed to 0600
  installTemporalRuntime(logger, env.GATEHOUSE_TEMPORAL_LOG_LEVEL, env.GATEHOUSE_TEMPORAL_METRICS_ADDRESS);
  const demoKey = Object.values(config.callers).some((c) => c.demo) ? loadDemoKey(env, join(dataDir, 'demo-key')) : undefined;
  const demoKeyFile = demoKey && !env.GATEHOUSE_DEMO_KEY ? join(dataDir, 'demo-key') : undefined;
  const stack: StopStack = [];
  const stop = async () => {
    for (const fn of stack.reverse()) await fn().catch((err) => logger.error({ err }, 'stop step failed'));
  };
  try {
    // Stopped last: spans of every other part's stop are sent too.
    const tracing = opts.tracing ?? createTracing(env, { logger });
    // A given tracing is flushed (its owner shuts it down); the gateway's own is shut down.
    if (tracing) stack.push(() => (opts.tracing ? tracing.forceFlush() : tracing.shutdown()));
    const mock = await startMockIfUsed(config, env, logger, stack);
    // The workflow bundle builds in a child process while the dev server starts (see workflowBundle.ts).
    const needsBundle = opts.worker !== false && !opts.workflowBundle && !env.GATEHOUSE_WORKFLOW_BUNDLE;
    const bundleFile = join(dataDir, tracing ? 'workflow-bundle-traced.js' : 'workflow-bundle.js');
    const bundled = needsBundle ? buildWorkflowBundle(bundleFile, { tracing: tracing !== undefined }) : undefined;
    bundled?.catch(() => {}); // awaited (and reported) by runWorker
    const uiCodecToken = env.TEMPORAL_ADDRESS || opts.http === false ? undefined : randomBytes(24).toString('base64url');
    const temporal = await connectTemporal({ env, dataDir, log: (m) => logger.info(m), uiCodecToken });
    stack.push(() => temporal.close());
    // The one database opening of this process, migrated under a cluster-wide lock; every store shares it.
    const db = await openDb({ env, dataDir });
    stack.push(() => db.close());
    logger.info({ database: db.description }, 'database ready');
    const ledger = new Ledger(db);
    stack.push(keepLedger(db, env, logger));
    const feedback = new FeedbackStore(db);
    const redisUrl = env.GATEHOUSE_REDIS_URL ?? env.REDIS_URL;
    const limits = new LimitsGate(config.limits, {
      db,
      onPruneError: (err) => logger.warn({ err: err.message }, 'budget prune failed; tried again later'),
      redisUrl,
      onRedisError: (err) => logger.warn({ err: err.message }, 'Redis unreachable: rate limits and loop checks count per process meanwhile'),
    });
    stack.push(() => limits.close());
    await limits.ready();
    // Routes are change-controlled: versions live in the database; the file's routes seed v1.
    const reloadMs = env.GATEHOUSE_RELOAD_MS ? Number(env.GATEHOUSE_RELOAD_MS) : undefined;
    const release = await openRelease(config, db, logger, { source: opts.configFile, pollMs: reloadMs });
    stack.push(() => release.close());
    const codec = loadCodec(env, join(dataDir, 'codec-key'));
    const parts: GatewayParts = {
      env,
      config,
      limits,
      callers: new CallerDirectory(config, demoKey),
      dataConverter: gatehouseDataConverter(codec),
      db,
      ledger,
      feedback,
      logger,
      taskQueue: opts.taskQueue ?? env.GATEHOUSE_TASK_QUEUE ?? TASK_QUEUE,
      mock,
      streams: new StreamRegistry(),
      relay: await openRelay(env, redisUrl, codec, logger, stack, { listen: opts.http !== false, work: opts.worker !== false }),
      release,
      credentials: loadCredentialKeys(env, dataDir, { open: opts.worker !== false }),
      uiCodecToken,
      metrics: new GatewayMetrics({ config: () => release.live.config(), routeTableVersion: () => release.live.snapshot().version, budgets: () => limits.budgetsRemaining() }),
      tracing,
    };
    const reloader = watchConfig(opts.configFile, parts, demoKey, reloadMs);
    stack.push(async () => reloader.stop());
    if (opts.worker === false && parts.credentials.created) {
      logger.warn(`made a new credential key pair in ${dataDir}: workers elsewhere cannot open what this front door seals; give it their GATEHOUSE_CREDENTIAL_PUBLIC_KEY (gatehouse keys credential)`);
    }
    const client = new Client({ connection: temporal.connection, namespace: temporal.namespace, dataConverter: parts.dataConverter, interceptors: clientInterceptors(tracing) });
    if (opts.worker !== false) await runWorker(parts, stack, temporal, client, { given: opts.workflowBundle, built: bundled });
    const starter = new RequestStarter(client, parts.taskQueue, opts.worker !== false, parts.credentials.sealer);
    parts.metrics.watchReviews((route) => client.workflow.count(heldQuery(parts.taskQueue, route)).then((c) => c.count));
    // Stops after the HTTP server (pushed later, so closed first) and before the worker and connection.
    stack.push(async () => starter.close());
    const url = opts.http === false ? undefined : await listen(parts, starter, stack, temporal.uiUrl);
    const metricsUrl = await listenMetrics(parts, stack);
    const reloadConfig = () => reloader.reload(true);
    const { metrics } = parts;
    return { url, uiUrl: temporal.uiUrl, temporalAddress: temporal.address, namespace: temporal.namespace, demoKey, demoKeyFile, mock, config, client, starter, ledger, db, logger, release, metrics, metricsUrl, tracing, reloadConfig, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Requests of a route held for review on this task queue (the `gatehouse_reviews_pending` gauge). */
function heldQuery(taskQueue: string, route: string): string {
  const quote = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return [`TaskQueue = ${quote(taskQueue)}`, 'ExecutionStatus = "Running"', 'GatehouseStatus = "awaiting_review"', `GatehouseRoute = ${quote(route)}`].join(' AND ');
}

/**
 * Live streams across processes ride on the Redis the rate limits already share (GATEHOUSE_STREAM_RELAY=off
 * keeps them in-process: a try in another process is then replayed when complete). Sealed with a key
 * derived from the payload codec key, which every gateway process shares already.
 */
async function openRelay(env: NodeJS.ProcessEnv, redisUrl: string | undefined, codec: EncryptionCodec, logger: Logger, stack: StopStack, roles: { listen: boolean; work: boolean }) {
  if (!redisUrl || env.GATEHOUSE_STREAM_RELAY === 'off') return undefined;
  const relay = new StreamRelay(redisUrl, new RelaySeal(codec.deriveKey('stream relay')), logger, roles);
  stack.push(() => relay.close());
  if (!(await relay.ready())) logger.warn('stream relay: Redis not ready yet; streams are replayed when complete until it is');
  return relay;
}

/** Ledger retention (GATEHOUSE_LEDGER_RETENTION_DAYS): pruned daily in batches, by one process of the cluster. */
function keepLedger(db: Db, env: NodeJS.ProcessEnv, logger: Logger): () => Promise<void> {
  const days = retentionDays(env);
  if (days === undefined) return async () => {};
  const job = schedule(db, 'ledger-retention', RETENTION_EVERY_MS, async () => {
    const deleted = await pruneLedger(db, new Date(Date.now() - days * 86_400_000));
    logger.info({ deleted, days }, 'ledger retention: old rows deleted');
  }, (err) => logger.warn({ err: err.message }, 'ledger retention failed; tried again later'));
  return () => job.stop();
}

async function startMockIfUsed(config: Config, env: NodeJS.ProcessEnv, logger: Logger, stack: StopStack) {
  // Started only when a provider of `kind: mock` points at it (src/mock/kind.ts).
  if (!Object.values(config.providers).some((p) => p.kind === mockKind.kind)) return undefined;
  const mock = await startMockProvider({ port: Number(env.GATEHOUSE_MOCK_PORT ?? 0), logger });
  stack.push(() => mock.close());
  return mock;
}

