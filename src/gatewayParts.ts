import type { DataConverter } from '@temporalio/client';
import type { Logger } from 'pino';
import type { CallerDirectory, CredentialKeys } from './auth';
import type { Config } from './config';
import type { Db } from './db';
import type { LimitsGate } from './limits/gate';
import type { GatewayMetrics } from './metrics/gatewayMetrics';
import type { MockProvider } from './mock';
import type { ChatProvider } from './providers';
import type { Release } from './routes/release';
import type { Ledger } from './store';
import type { FeedbackStore } from './store/feedback';
import type { StreamRegistry } from './streaming/registry';
import type { StreamRelay } from './streaming/relay';
import type { Tracing } from './tracing';

/** What every part of one process shares. */
export interface GatewayParts {
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

/** What to stop, pushed in start order and run in reverse (src/gateway.ts). */
export type StopStack = Array<() => Promise<void>>;
