import { Client, type DataConverter } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { randomBytes } from 'node:crypto';
import { CallerDirectory, loadCredentialKeys, loadDemoKey, type CredentialKeys } from './auth';
import { loadConfigFile, type Config } from './config';
import type { ReloadResult } from './config/reload';
import { durationFromEnv } from './config/duration';
import { watchConfig } from './configWatch';
import { buildHttpServer } from './http';
import type { CodecAccess } from './http/codec';
import { bodyLimitFrom } from './http/body';
import { createLogger } from './log';
import { createProviders, type ChatProvider } from './providers';
import { startMockProvider, type MockProvider } from './mock';
import { mockKind } from './mock/kind';
import { Ledger } from './store';
import { FeedbackStore } from './store/feedback';
import { openDb, type Db } from './db';
import { schedule } from './db/maintenance';
import { pruneLedger, retentionDays, RETENTION_EVERY_MS } from './store/retention';
import { UsageStore } from './store/usage';
import { secureDataDir } from './store/privateFiles';
import { loadCodec } from './temporal/codec';
import { gatehouseDataConverter } from './temporal/dataConverter';
import { connectTemporal, type TemporalHandle } from './temporal/connection';
import { shutdownOptionsFromEnv } from './cli/shutdown';
import { TASK_QUEUE } from './temporal/contract';
import { RequestStarter } from './temporal/requestStarter';
import { installTemporalRuntime } from './temporal/runtime';
import { CpuPool, cpuPoolOptionsFromEnv } from './admission/cpuPool';
import { createWorker } from './worker';
import { buildWorkflowBundle } from './temporal/workflowBundle';
import { StreamRegistry } from './streaming/registry';
import { StreamRelay } from './streaming/relay';
import { RelaySeal } from './streaming/relayMessage';
import type { EncryptionCodec } from './temporal/codec';
import { LimitsGate } from './limits/gate';
import Redis from 'ioredis';
import { DeploymentLoadTracker } from './balance/deploymentLoad';
import { DbResponseCache, RedisResponseCache, type ResponseCacheStore } from './store/responseCache';
import { RedisInFlight } from './balance/redisInFlight';
import { CircuitBreakers, DEFAULT_BREAKER } from './routing/circuitBreaker';
import { openRelease, type Release } from './routes/release';
import type { GatewayResponse } from './temporal/contract';
import { GatewayMetrics } from './metrics/gatewayMetrics';
import { listenForMetrics } from './metrics/listener';
import { sessionOptionsFrom } from './console/sessions';
import { createTracing, type Tracing } from './tracing';
import { clientInterceptors, warnIfUntraced } from './tracing/temporal';

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

/** What every part of one process shares. */
interface Parts {
  env: NodeJS.ProcessEnv;
  config: Config;
  callers: CallerDirectory;
  dataConverter: DataConverter;
  db: Db;
  ledger: Ledger;
  feedback: FeedbackStore;
  limits: LimitsGate;
  logger: Logger;
  taskQueue: string;
  mock?: MockProvider;
  /** Streaming side channel: provider activities here → HTTP handlers here (src/streaming). */
  streams: StreamRegistry;
  /** The side channel across processes (Redis pub/sub), when Redis is configured (src/streaming/relay.ts). */
  relay?: StreamRelay;
  /** The live route table (reloaded from the store) and the kill switch: `config` is only the file. */
  release: Release;
  /** The worker's provider clients (refilled when a reloaded config changes the providers). */
  providers?: Map<string, ChatProvider>;
  /** Sealer everywhere; opener only where the worker runs (src/auth/credentialSeal.ts). */
  credentials: CredentialKeys;
  /** The embedded UI's codec token (per start), when this process runs the dev server and its UI. */
  uiCodecToken?: string;
  metrics: GatewayMetrics;
  tracing?: Tracing;
}

/** Breaker tuning from the environment (tests use short windows); defaults suit production. */
function breakerOptions(env: NodeJS.ProcessEnv) {
  const n = (v: string | undefined, d: number) => (v ? Number(v) : d);
  return {
    failureThreshold: n(env.GATEHOUSE_BREAKER_FAILURES, DEFAULT_BREAKER.failureThreshold),
    windowMs: n(env.GATEHOUSE_BREAKER_WINDOW_MS, DEFAULT_BREAKER.windowMs),
    coolDownMs: n(env.GATEHOUSE_BREAKER_COOLDOWN_MS, DEFAULT_BREAKER.coolDownMs),
  };
}

type StopStack = Array<() => Promise<void>>;

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
    const parts: Parts = {
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
    if (opts.worker !== false) await runWorker(opts, temporal, parts, stack, client, bundled);
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

/**
 * Deployments' load, for models with `deployments`; in-flight counts shared through Redis when it is
 * configured and a model balances `least-busy` at start (other strategies need only this process's view).
 */
function deploymentLoad(p: Parts, stack: StopStack, redis: Redis | undefined): DeploymentLoadTracker {
  const leastBusy = Object.values(p.config.models).some((m) => m.deployments && m.strategy === 'least-busy');
  if (!redis || !leastBusy) return new DeploymentLoadTracker();
  const shared = new RedisInFlight(redis);
  stack.push(() => shared.close());
  return new DeploymentLoadTracker(shared);
}

/**
 * One Redis connection for the worker's plain commands (least-busy counts, the response cache),
 * opened only when Redis is configured and something at start uses it. No offline queue: while
 * Redis is unreachable a command fails at once (a cache miss, this process's own counts).
 */
function workerRedis(p: Parts, stack: StopStack): Redis | undefined {
  const url = p.env.GATEHOUSE_REDIS_URL ?? p.env.REDIS_URL;
  const used = p.config.routes.some((r) => r.cache) || Object.values(p.config.models).some((m) => m.deployments && m.strategy === 'least-busy');
  if (!url || !used) return undefined;
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', (err) => p.logger.warn({ err: err.message }, 'Redis unreachable: cache misses and per-process least-busy counts meanwhile'));
  stack.push(async () => redis.disconnect());
  return redis;
}

/**
 * The routes' response cache: Redis when configured (shared by every worker), else a table beside
 * the ledger. Opened only when some route caches at start (a reload adding one needs a restart).
 */
function responseCache(p: Parts, redis: Redis | undefined): ResponseCacheStore | undefined {
  if (!p.config.routes.some((r) => r.cache)) return undefined;
  return redis ? new RedisResponseCache(redis) : new DbResponseCache(p.db);
}

async function runWorker(opts: GatewayOptions, temporal: TemporalHandle, p: Parts, stack: StopStack, client: Client, bundled?: Promise<string>) {
  // A shadow comparison waits for its request's own result (decoded by this client's codec).
  const primaryResult = (id: string, signal: AbortSignal) => client.withAbortSignal(signal, () => client.workflow.getHandle(id).result() as Promise<GatewayResponse>);
  const redis = workerRedis(p, stack);
  const bundlePath = p.env.GATEHOUSE_WORKFLOW_BUNDLE;
  if (p.tracing && bundlePath) warnIfUntraced(bundlePath, p.logger);
  // CPU-heavy work on caller input (prompt analysis, caller schemas) runs here, under a deadline.
  const cpu = new CpuPool(cpuPoolOptionsFromEnv(p.env));
  const health = new CircuitBreakers(breakerOptions(p.env));
  p.metrics.watchBreakers(health);
  stack.push(() => cpu.close());
  const worker = await createWorker({
    connection: temporal.connection,
    namespace: temporal.namespace,
    taskQueue: p.taskQueue,
    dataConverter: p.dataConverter,
    deps: {
      config: () => p.release.live.config(),
      callers: () => p.callers,
      credentials: p.credentials.opener!,
      providers: (p.providers = createProviders(p.config, p.env, p.mock?.url)),
      ledger: p.ledger,
      feedback: p.feedback,
      limits: p.limits,
      health,
      load: deploymentLoad(p, stack, redis),
      cache: responseCache(p, redis),
      metrics: p.metrics,
      streams: p.streams,
      relay: p.relay,
      logger: p.logger,
      env: p.env,
      release: p.release.runtime(primaryResult),
      cpu,
      tracer: p.tracing?.tracer,
    },
    maxCachedWorkflows: p.env.GATEHOUSE_MAX_CACHED_WORKFLOWS ? Number(p.env.GATEHOUSE_MAX_CACHED_WORKFLOWS) : undefined,
    maxWorkflowTasks: p.env.GATEHOUSE_MAX_WORKFLOW_TASKS ? Number(p.env.GATEHOUSE_MAX_WORKFLOW_TASKS) : undefined,
    shutdownGraceMs: drainMs(p.env),
    workflowBundle: opts.workflowBundle ?? { codePath: bundlePath ?? (await bundled!) },
    tracing: p.tracing,
  });
  const running = worker.run();
  running.catch((err) => p.logger.fatal({ err }, 'worker stopped with an error'));
  stack.push(async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  });
}

/** The worker's drain: the process's stop grace less a second for closing the rest, so the hard exit never cuts it. */
function drainMs(env: NodeJS.ProcessEnv): number {
  return Math.max(0, shutdownOptionsFromEnv(env, () => undefined).graceMs - 1000);
}

async function listen(p: Parts, starter: RequestStarter, stack: StopStack, uiUrl?: string): Promise<string> {
  const host = p.env.GATEHOUSE_HOST ?? '127.0.0.1';
  const loopback = LOOPBACK.includes(host);
  const codec: CodecAccess = {
    codec: p.dataConverter.payloadCodecs![0]!,
    uiOrigins: [...(uiUrl ? withLoopbackAliases(uiUrl) : []), ...list(p.env.GATEHOUSE_UI_ORIGIN)],
    hosts: [],
    // Only the embedded UI on loopback gets a keyless (token) path; anyone else needs a reviewer key.
    uiToken: loopback ? p.uiCodecToken : undefined,
  };
  const usage = new UsageStore(p.db);
  const app = buildHttpServer({
    usage,
    feedback: p.feedback,
    ...{ starter, callers: () => p.callers, config: () => p.release.live.config(), logger: p.logger, streams: p.streams, relay: p.relay, release: p.release, codec },
    // The front door refuses cheaply (no workflow) and counts it: the admission's own limiter, the ledger.
    ...{ limits: p.limits, refusals: p.ledger, bodyLimit: bodyLimitFrom(p.env.GATEHOUSE_BODY_LIMIT), metrics: p.metrics, tracer: p.tracing?.tracer },
    // The console's request links: the configured Temporal UI, else the one this gateway started.
    temporalUiUrl: p.env.GATEHOUSE_TEMPORAL_UI_URL || uiUrl,
    consoleSessions: sessionOptionsFrom(p.env),
    reviewWaitMs: durationFromEnv(p.env, 'GATEHOUSE_REVIEW_WAIT', 1000, 'at least a second ("30s", "2m")'),
  });
  await app.listen({ port: Number(p.env.GATEHOUSE_PORT ?? 8080), host });
  stack.push(() => app.close());
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  // The Host names this gateway answers the codec under; on all interfaces only the configured ones.
  const own = loopback ? LOOPBACK.map((h) => `${h.includes(':') ? `[${h}]` : h}:${port}`) : ['0.0.0.0', '::'].includes(host) ? [] : [`${host}:${port}`];
  codec.hosts.push(...own, ...list(p.env.GATEHOUSE_CODEC_HOSTS).map((h) => h.toLowerCase()));
  return `http://${host}:${port}`;
}

/** The keyless metrics listener, only when GATEHOUSE_METRICS_PORT is set; loopback unless GATEHOUSE_METRICS_HOST. */
async function listenMetrics(p: Parts, stack: StopStack): Promise<string | undefined> {
  if (!p.env.GATEHOUSE_METRICS_PORT) return undefined;
  const listener = await listenForMetrics(p.metrics, Number(p.env.GATEHOUSE_METRICS_PORT), p.env.GATEHOUSE_METRICS_HOST ?? '127.0.0.1');
  stack.push(() => listener.close());
  return listener.url;
}

const LOOPBACK = ['127.0.0.1', 'localhost', '::1'];

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((v) => v.trim()).filter(Boolean);
}

/** The embedded UI may be opened as 127.0.0.1 or localhost: both are its origin. */
function withLoopbackAliases(origin: string): string[] {
  const url = new URL(origin);
  if (!['127.0.0.1', 'localhost'].includes(url.hostname)) return [url.origin];
  return ['127.0.0.1', 'localhost'].map((h) => `${url.protocol}//${h}:${url.port}`);
}
