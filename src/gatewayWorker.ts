import type { Client } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import Redis from 'ioredis';
import { CpuPool, cpuPoolOptionsFromEnv } from './admission/cpuPool';
import { DeploymentLoadTracker } from './balance/deploymentLoad';
import { RedisInFlight } from './balance/redisInFlight';
import { shutdownOptionsFromEnv } from './cli/shutdown';
import type { GatewayParts as Parts, StopStack } from './gatewayParts';
import { createProviders } from './providers';
import { CircuitBreakers, DEFAULT_BREAKER } from './routing/circuitBreaker';
import { DbResponseCache, RedisResponseCache, type ResponseCacheStore } from './store/responseCache';
import type { TemporalHandle } from './temporal/connection';
import type { GatewayResponse } from './temporal/contract';
import { warnIfUntraced } from './tracing/temporal';
import { createWorker } from './worker';

/** Breaker tuning from the environment (tests use short windows); defaults suit production. */
function breakerOptions(env: NodeJS.ProcessEnv) {
  const n = (v: string | undefined, d: number) => (v ? Number(v) : d);
  return {
    failureThreshold: n(env.GATEHOUSE_BREAKER_FAILURES, DEFAULT_BREAKER.failureThreshold),
    windowMs: n(env.GATEHOUSE_BREAKER_WINDOW_MS, DEFAULT_BREAKER.windowMs),
    coolDownMs: n(env.GATEHOUSE_BREAKER_COOLDOWN_MS, DEFAULT_BREAKER.coolDownMs),
  };
}

/**
 * Deployments' load, for models with `deployments`; in-flight counts shared through Redis when it is
 * configured and a model balances `least-busy` at start (other strategies need only this process's view).
 */
function deploymentLoad(p: Parts, stack: StopStack, redis: Redis | undefined): DeploymentLoadTracker {
  if (!redis || !balancesLeastBusy(p)) return new DeploymentLoadTracker();
  const shared = new RedisInFlight(redis);
  stack.push(() => shared.close());
  return new DeploymentLoadTracker(shared);
}

/** Some model spreads its calls over deployments by in-flight count (the counts Redis can share). */
function balancesLeastBusy(p: Parts): boolean {
  return Object.values(p.config.models).some((m) => m.deployments && m.strategy === 'least-busy');
}

/**
 * One Redis connection for the worker's plain commands (least-busy counts, the response cache),
 * opened only when Redis is configured and something at start uses it. No offline queue: while
 * Redis is unreachable a command fails at once (a cache miss, this process's own counts).
 */
function workerRedis(p: Parts, stack: StopStack): Redis | undefined {
  const url = p.env.GATEHOUSE_REDIS_URL ?? p.env.REDIS_URL;
  const used = p.config.routes.some((r) => r.cache) || balancesLeastBusy(p);
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

/**
 * The worker half of a gateway process: the activities' dependencies built from the process's
 * parts and handed to createWorker (src/worker.ts); it runs until the stop stack shuts it down.
 */
export async function runWorker(
  p: Parts,
  stack: StopStack,
  temporal: TemporalHandle,
  client: Client,
  bundle: { given?: WorkerOptions['workflowBundle']; built?: Promise<string> },
): Promise<void> {
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
    workflowBundle: bundle.given ?? { codePath: bundlePath ?? (await bundle.built!) },
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
