/**
 * The scale-out test's fleet: `gatehouse start` processes that share one config, the production
 * Temporal server, one PostgreSQL database (DATABASE_URL), Redis, the codec key and the credential
 * key pair, each with its own data dir and role, as separate machines would.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { hashApiKey } from '../../src/auth';
import { testConfig } from '../helpers/gateway';
import { spawnGateway, type GatewayProcess } from '../helpers/process';

/** Callers the scale-out test adds to the test config's `support` and `analyst`. */
export const FLEET_KEYS = {
  crowd: 'test-key-fleet-crowd-0123456789abcd',
  root: 'test-key-fleet-admin-root-012345678',
};
export const RPM = 3;
/** $100 per 1M tokens in and out: a 500-token answer is ~$0.05, half the team's $0.10 a day. */
export const DAILY_USD = 0.1;
export const PRICE_PER_MTOK = 100;

export type Role = 'http' | 'worker' | 'all';

export interface Proc extends GatewayProcess {
  name: string;
  role: Role;
  url?: string;
}

/** One config for every process: the load's routes, a priced route under a team budget, a live (gated) route. */
export function fleetConfig(mockUrl: string, gatedUrl: string): Record<string, unknown> {
  const base = testConfig(mockUrl, { limits: { callers: { analyst: { rpm: RPM } }, teams: { 'crowd-team': { budget: { dailyUsd: DAILY_USD } } } } }) as any;
  base.providers.gated = { kind: 'openai-compatible', baseUrl: gatedUrl };
  base.models.priced = { provider: 'mock', upstream: 'mock-priced', price: { inputPerMTok: PRICE_PER_MTOK, outputPerMTok: PRICE_PER_MTOK } };
  base.models.gated = { provider: 'gated', upstream: 'gated-model' };
  base.callers.support.tasks = ['chat', 'summarize', 'live'];
  base.callers.crowd = { team: 'crowd-team', roles: ['caller'], tasks: ['budgeted'], keyHash: hashApiKey(FLEET_KEYS.crowd) };
  base.callers.root = { team: 'ops', roles: ['admin'], keyHash: hashApiKey(FLEET_KEYS.root) };
  base.routes = [
    // Every provider call of the load takes a while (the mock's latency), so a killed process has requests in flight.
    { name: 'chat', match: { task: 'chat' }, primary: 'small', fallbacks: ['large'], timeout: '10s', retries: 2 },
    { name: 'summarize', match: { task: 'summarize' }, primary: 'large', fallbacks: [], timeout: '10s', retries: 0 },
    { name: 'budgeted', match: { task: 'budgeted' }, primary: 'priced' },
    { name: 'live', match: { task: 'live' }, primary: 'gated', timeout: '30s', retries: 0 },
  ];
  return base;
}

/** The workers' credential key pair: workers open with the private key, front doors seal to the public one. */
function credentialKeys(): { privateKey: string; publicKey: string } {
  const jwk = generateKeyPairSync('x25519').privateKey.export({ format: 'jwk' });
  return { privateKey: Buffer.from(jwk.d!, 'base64url').toString('base64'), publicKey: Buffer.from(jwk.x!, 'base64url').toString('base64') };
}

export class Fleet {
  readonly procs: Proc[] = [];
  private readonly keys = credentialKeys();
  readonly env: NodeJS.ProcessEnv;

  constructor(
    private readonly root: string,
    config: Record<string, unknown>,
    env: { taskQueue: string; namespace: string; databaseUrl: string },
  ) {
    const configFile = join(root, 'gatehouse.config.yaml');
    writeFileSync(configFile, stringify(config));
    this.env = {
      ...process.env,
      GATEHOUSE_CONFIG: configFile,
      GATEHOUSE_PORT: '0',
      GATEHOUSE_TASK_QUEUE: env.taskQueue,
      TEMPORAL_NAMESPACE: env.namespace,
      DATABASE_URL: env.databaseUrl,
      // Every process encrypts and decrypts the same payloads (and relay messages): one codec key for all.
      GATEHOUSE_CODEC_KEY: randomBytes(32).toString('base64'),
    };
  }

  /** Starts one process on its own data dir; `env` overrides (e.g. its own task queue). */
  async start(name: string, role: Role, env: NodeJS.ProcessEnv = {}): Promise<Proc> {
    const keys = role === 'http' ? { GATEHOUSE_CREDENTIAL_PUBLIC_KEY: this.keys.publicKey } : { GATEHOUSE_CREDENTIAL_KEY: this.keys.privateKey };
    const p = await spawnGateway({ ...this.env, ...keys, GATEHOUSE_ROLE: role, GATEHOUSE_DATA_DIR: join(this.root, name), ...env });
    const url = role === 'worker' ? undefined : /Gateway:\s+(\S+)/.exec(p.output())?.[1];
    const proc: Proc = { ...p, name, role, ...(url ? { url } : {}) };
    this.procs.push(proc);
    return proc;
  }

  byName(name: string): Proc {
    return this.procs.find((p) => p.name === name)!;
  }

  /** The front doors (role http) still running. */
  doors(): string[] {
    return this.procs.filter((p) => p.role === 'http' && up(p)).map((p) => p.url!);
  }

  async stop(p: Proc): Promise<void> {
    if (up(p)) p.child.kill('SIGTERM');
    await p.exited;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.procs.map((p) => this.stop(p)));
  }
}

export const up = (p: Proc) => p.child.exitCode === null && p.child.signalCode === null;
