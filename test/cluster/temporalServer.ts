/**
 * A production Temporal server for the cluster tests: `temporal-server` (the module the CLI embeds,
 * built by `gatehouse temporal install-server`) on PostgreSQL persistence and SQL visibility, its
 * schema created with `temporal-sql-tool`, every port a fresh loopback one. Unlike the dev server it
 * starts with no namespace and no search attributes: the gateway must register them itself.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { stringify } from 'yaml';
import { DYNAMIC_CONFIG, freePort, isPortFree } from '../../src/temporal/devServer';
import type { TemporalServerInstall } from '../../src/temporal/serverBuild';
import type { Postgres } from './postgres';

const DATABASES = { temporal: 'temporal', visibility: 'temporal_visibility' } as const;
const SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;

export interface TemporalServer {
  address: string;
  stop(): Promise<void>;
}

/** `create-database`, `setup-schema -v 0.0`, `update-schema -d <versioned>`: Temporal's documented steps. */
export async function createTemporalSchema(install: TemporalServerInstall, pg: Postgres): Promise<void> {
  const base = ['--plugin', 'postgres12', '--ep', pg.host, '-p', String(pg.port), '-u', pg.user];
  const tool = (args: string[]) => promisify(execFile)(install.sqlTool, [...base, ...args]);
  for (const [db, dir] of [[DATABASES.temporal, 'temporal'], [DATABASES.visibility, 'visibility']] as const) {
    await tool(['--db', db, 'create-database']);
    await tool(['--db', db, 'setup-schema', '-v', '0.0']);
    await tool(['--db', db, 'update-schema', '-d', join(install.schemaDir, dir, 'versioned')]);
  }
}

type Ports = Record<(typeof SERVICES)[number], { grpcPort: number; membershipPort: number }> & { http: number };

/**
 * Membership ports are stored in a smallint column (cluster_membership.rpc_port), so they must be
 * below 32768, under Linux's ephemeral range: probe upwards from a random start in 20000–32000.
 */
async function freeLowPorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  for (let p = 20_000 + Math.floor(Math.random() * 10_000); ports.length < n && p < 32_768; p++) if (await isPortFree(p)) ports.push(p);
  if (ports.length < n) throw new Error('no free ports below 32768 for Temporal membership');
  return ports;
}

async function freePorts(): Promise<Ports> {
  const low = await freeLowPorts(SERVICES.length);
  const pair = async () => ({ grpcPort: await freePort(), membershipPort: low.pop()! });
  return { frontend: await pair(), history: await pair(), matching: await pair(), worker: await pair(), http: await freePort() };
}

/** The server's config file: PostgreSQL for persistence and visibility, one history shard set, loopback only. */
export function serverConfig(pg: Postgres, ports: Ports, dynamicConfigFile: string): Record<string, unknown> {
  const store = (databaseName: string, maxConns: number) => ({
    sql: { pluginName: 'postgres12', databaseName, connectAddr: `${pg.host}:${pg.port}`, connectProtocol: 'tcp', user: pg.user, password: '', maxConns, maxIdleConns: maxConns, maxConnLifetime: '1h' },
  });
  const services = Object.fromEntries(
    SERVICES.map((s) => [s, { rpc: { ...ports[s], bindOnLocalHost: true, ...(s === 'frontend' ? { httpPort: ports.http } : {}) } }]),
  );
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'default',
      visibilityStore: 'visibility',
      numHistoryShards: 4,
      datastores: { default: store(DATABASES.temporal, 20), visibility: store(DATABASES.visibility, 5) },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services,
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${ports.frontend.grpcPort}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
}

/** The dev server's `--dynamic-config-value` flags (DYNAMIC_CONFIG), as a dynamic config file. */
export function dynamicConfig(): Record<string, Array<{ value: unknown }>> {
  const entries = DYNAMIC_CONFIG.map((kv) => {
    const [key, value] = kv.split('=') as [string, string];
    return [key, [{ value: JSON.parse(value) as unknown }]] as [string, Array<{ value: unknown }>];
  });
  // The dev server raises this too (the tests count workflows through visibility).
  return Object.fromEntries([...entries, ['frontend.namespaceRPS.visibility', [{ value: 100 }]] as [string, Array<{ value: unknown }>]]);
}

export async function startTemporalServer(install: TemporalServerInstall, pg: Postgres, dir: string, log: (m: string) => void): Promise<TemporalServer> {
  await createTemporalSchema(install, pg);
  const ports = await freePorts();
  const configDir = join(dir, 'config');
  mkdirSync(configDir, { recursive: true });
  const dynamicFile = join(configDir, 'dynamic.yaml');
  writeFileSync(dynamicFile, stringify(dynamicConfig()));
  writeFileSync(join(configDir, 'cluster.yaml'), stringify(serverConfig(pg, ports, dynamicFile)));
  const child = spawn(install.server, ['--root', dir, '--config', 'config', '--env', 'cluster', '--allow-no-auth', 'start'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (d: Buffer) => (tail = (tail + d.toString()).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const address = `127.0.0.1:${ports.frontend.grpcPort}`;
  const stop = stopper(child);
  try {
    await untilServing(address, child, () => tail);
  } catch (err) {
    await stop();
    throw err;
  }
  log(`temporal-server ${install.version} on ${address} (PostgreSQL ${pg.port})`);
  return { address, stop };
}

async function untilServing(address: string, child: ChildProcess, tail: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`temporal-server exited before serving:\n${tail()}`);
    const conn = await Connection.connect({ address, connectTimeout: 1000 }).catch(() => undefined);
    if (conn) {
      const ok = await conn.withDeadline(Date.now() + 2000, () => conn.workflowService.getSystemInfo({})).then(() => true, () => false);
      await conn.close();
      if (ok) return;
    }
    await sleep(250);
  }
  throw new Error(`temporal-server did not answer on ${address}:\n${tail()}`);
}

function stopper(child: ChildProcess): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  return () =>
    (stopping ??= (async () => {
      process.off('exit', onExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    })());
}
