import type { Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { CpuPool } from '../src/admission/cpuPool';
import type { DeploymentLoadTracker } from '../src/balance/deploymentLoad';
import type { CallerDirectory, CredentialOpener } from '../src/auth';
import type { Config } from '../src/config/schema';
import type { LimitsGate } from '../src/limits/gate';
import type { GatewayMetrics } from '../src/metrics/gatewayMetrics';
import type { ChatProvider } from '../src/providers/types';
import type { ReleaseRuntime } from '../src/routes/release';
import type { FeedbackStore } from '../src/store/feedback';
import type { Ledger } from '../src/store/ledger';
import type { ResponseCacheStore } from '../src/store/responseCache';
import type { StreamRegistry } from '../src/streaming/registry';
import type { StreamRelay } from '../src/streaming/relay';

/** Model availability as the circuit breakers see it (shared by all workflows in a worker). */
export interface ModelHealth {
  isAvailable(model: string, now: number): boolean;
  recordSuccess?(model: string, now: number): void;
  recordFailure?(model: string, now: number): void;
  /** The provider refused an assistant prefill (learned: the model is not asked to continue a stream again). */
  recordPrefillRefused?(model: string): void;
  refusesPrefill?(model: string): boolean;
}

/** Everything activities touch; `src/worker.ts` wires the real ones, tests may wire others. */
export interface ActivityDeps {
  /** The current config (a function so a reload reaches new activities without a restart). */
  config: () => Config;
  /** API-key hash → caller, built from the same config. */
  callers: () => CallerDirectory;
  /** Opens sealed credentials (the workers' private key): start inputs and review decisions. */
  credentials: CredentialOpener;
  providers: Map<string, ChatProvider>;
  ledger: Ledger;
  /** Rate limits, loop detection, budgets. */
  limits: LimitsGate;
  health: ModelHealth;
  /** Routes' response caches (absent: no route caches). */
  cache?: ResponseCacheStore;
  /** Deployments' recent load (in flight, latency, last minute's use), for models with `deployments`. */
  load?: DeploymentLoadTracker;
  /** The streaming side channel to HTTP handlers in this process (absent: streams are only assembled). */
  streams?: StreamRegistry;
  /** The side channel across processes (Redis): when set, every streamed try publishes through it instead. */
  relay?: StreamRelay;
  logger: Logger;
  /** Where secrets named in the config are read (webhook secrets); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Release control: route-table version, kill switch, shadow comparisons (absent: none of it). */
  release?: ReleaseRuntime;
  /** CPU-heavy work on caller input, in worker threads under a deadline (absent: inline, for tests without a gateway). */
  cpu?: CpuPool;
  /** End-user feedback rows (absent: feedback cannot be recorded by this worker). */
  feedback?: FeedbackStore;
  /** Prometheus series of this process (absent: nothing is counted). */
  metrics?: GatewayMetrics;
  /** Provider-call spans (src/tracing); absent when tracing is off. */
  tracer?: Tracer;
}
