/**
 * Lifecycle of the embedded Temporal dev server (`temporal server start-dev`) backed by SQLite.
 *
 * Orphan safety: a child cannot portably be made to die when its parent is SIGKILLed
 * (Linux PR_SET_PDEATHSIG is not reachable from Node, macOS has nothing similar). So we:
 *  - keep the child in our process group, so Ctrl-C in a terminal signals both;
 *  - SIGTERM the child from a process 'exit' hook if stop() was never called;
 *  - make stop() idempotent, escalating SIGTERM → SIGKILL after 10 s.
 * Hosts should still trap SIGINT/SIGTERM themselves and await stop(); after a SIGKILL of the
 * parent the next start fails fast with the "port is in use" message instead of hanging.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { narrowDatabase, withPrivateUmask } from '../store/privateFiles';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { forEachLine } from './cli';

export type SearchAttributeKind = 'Keyword' | 'Text' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

export interface DevServerOptions {
  cliPath: string;
  /** Frontend gRPC port. */
  port: number;
  /** Web UI port; default port + 1000. */
  uiPort?: number;
  /** The UI decodes payloads through this remote codec (the gateway's /codec endpoint). */
  uiCodecEndpoint?: string;
  /** SQLite file; default ./data/temporal.db (its directory is created). */
  dbFile?: string;
  /** Serve the Web UI; default true. */
  ui?: boolean;
  /** Default 'default'. */
  namespace?: string;
  searchAttributes: Record<string, SearchAttributeKind>;
  log?: (msg: string) => void;
  /** Default 60000. */
  startTimeoutMs?: number;
}

export interface DevServer {
  /** 127.0.0.1:port */
  address: string;
  uiUrl?: string;
  stop(): Promise<void>;
  process: ChildProcess;
}

// Values of temporal.api.enums.v1.IndexedValueType (the proto package is not a direct dependency).
export const INDEXED_VALUE_TYPE: Record<SearchAttributeKind, number> = {
  Text: 1,
  Keyword: 2,
  Int: 3,
  Double: 4,
  Bool: 5,
  Datetime: 6,
  KeywordList: 7,
};

// Server features Gatehouse relies on; the dev server's defaults differ between releases (test/cluster sets them on the production server too).
export const DYNAMIC_CONFIG = [
  'system.enableEagerWorkflowStart=true',
  'frontend.enableExecuteMultiOperation=true',
  'frontend.enableUpdateWorkflowExecution=true',
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
  // Lets a completing workflow task hand its new activity straight to this worker (no poll round trip).
  'system.enableActivityEagerExecution=true',
];

const POLL_INTERVAL_MS = 200;
const STOP_GRACE_MS = 10_000;
const TAIL_LINES = 40;

type Resolved = Required<Omit<DevServerOptions, 'log' | 'uiCodecEndpoint'>> & { log: (msg: string) => void };

function resolveOptions(opts: DevServerOptions): Resolved {
  return {
    cliPath: opts.cliPath,
    port: opts.port,
    uiPort: opts.uiPort ?? opts.port + 1000,
    dbFile: path.resolve(opts.dbFile ?? './data/temporal.db'),
    ui: opts.ui ?? true,
    namespace: opts.namespace ?? 'default',
    searchAttributes: opts.searchAttributes,
    log: opts.log ?? (() => undefined),
    startTimeoutMs: opts.startTimeoutMs ?? 60_000,
  };
}

/** Command-line arguments for `temporal`; pure, exported for tests. */
export function devServerArgs(opts: DevServerOptions): string[] {
  const o = resolveOptions(opts);
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(o.port)];
  args.push(...(o.ui ? ['--ui-port', String(o.uiPort)] : ['--headless']));
  if (o.ui && opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  args.push('--db-filename', o.dbFile, '--namespace', o.namespace, '--log-level', 'warn');
  // WAL with synchronous=normal: a killed process loses nothing committed (only an OS crash could),
  // and every history write stops paying an fsync (measured: ~30% less server CPU per request).
  args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  for (const [name, kind] of Object.entries(o.searchAttributes)) {
    // The CLI parses KEY=VALUE; reject names that would be misparsed or that Temporal refuses.
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid search attribute name: ${JSON.stringify(name)}`);
    args.push('--search-attribute', `${name}=${kind}`);
  }
  for (const kv of DYNAMIC_CONFIG) args.push('--dynamic-config-value', kv);
  return args;
}

/** True if nothing listens on host:port (probe by binding it ourselves). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(false) : reject(err)));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A port the OS says is free right now (for test and bench servers). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A frontend port at or after `from` whose UI port (+1000) is free too. */
export async function freePortPair(from: number): Promise<number> {
  for (let p = from; p < from + 500; p++) if ((await isPortFree(p)) && (await isPortFree(p + 1000))) return p;
  throw new Error('no free port pair for the Temporal dev server');
}

async function assertPortsFree(o: Resolved): Promise<void> {
  if (!(await isPortFree(o.port))) {
    throw new Error(
      `port ${o.port} is in use: set GATEHOUSE_TEMPORAL_PORT to another port, or TEMPORAL_ADDRESS to use that server`,
    );
  }
  if (o.ui && !(await isPortFree(o.uiPort))) {
    throw new Error(`Temporal UI port ${o.uiPort} is in use: choose another uiPort, or run headless (ui: false)`);
  }
}

/** Resolve true if `p` settles within `ms`, without leaving a timer behind. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  const ac = new AbortController();
  const timeout = sleep(ms, false, { signal: ac.signal }).catch(() => false);
  const done = await Promise.race([p.then(() => true), timeout]);
  ac.abort();
  return done;
}

interface Child {
  proc: ChildProcess;
  exited: Promise<void>;
  /** Settles once stdout/stderr are drained too, so the tail is complete. */
  closed: Promise<void>;
  exitReason(): string | undefined;
  tail(): string;
  silence(): void;
}

function spawnChild(cliPath: string, args: string[], log: (msg: string) => void): Child {
  // Not detached: staying in our process group lets terminal Ctrl-C reach the server too.
  const proc = spawn(cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let quiet = false;
  let reason: string | undefined;
  const keep = (line: string): void => {
    lines.push(line);
    if (lines.length > TAIL_LINES) lines.shift();
  };
  forEachLine(proc.stdout!, keep);
  forEachLine(proc.stderr!, (line) => {
    keep(line);
    // At --log-level warn the server is quiet while running; shutdown spews expected dial errors.
    if (!quiet && line.trim()) log(`temporal: ${line}`);
  });
  const exited = new Promise<void>((resolve) => {
    proc.once('exit', (code, signal) => {
      reason = signal ? `killed by ${signal}` : `exit code ${code}`;
      resolve();
    });
    // spawn failures (ENOENT, EACCES) emit 'error' and never 'exit'.
    proc.once('error', (err) => {
      reason ??= `failed to start: ${err.message}`;
      resolve();
    });
  });
  const closed = new Promise<void>((resolve) => proc.once('close', () => resolve()));
  return { proc, exited, closed, exitReason: () => reason, tail: () => lines.join('\n'), silence: () => (quiet = true) };
}

/** Poll until the frontend answers GetSystemInfo; returns the open connection. */
async function waitUntilReady(address: string, child: Child, timeoutMs: number): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = child.exitReason();
    if (reason) {
      await settlesWithin(child.closed, 1000);
      throw new Error(`temporal dev server ${reason} before it was ready:\n${child.tail()}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`temporal dev server did not answer on ${address} within ${timeoutMs} ms:\n${child.tail()}`);
    }
    const conn = await tryConnect(address);
    if (conn) return conn;
    await sleep(POLL_INTERVAL_MS);
  }
}

async function tryConnect(address: string): Promise<Connection | undefined> {
  let conn: Connection | undefined;
  try {
    conn = await Connection.connect({ address, connectTimeout: 1000 });
    await conn.withDeadline(Date.now() + 2000, () => conn!.workflowService.getSystemInfo({}));
    return conn;
  } catch {
    await conn?.close().catch(() => undefined);
    return undefined;
  }
}

/**
 * `--search-attribute` registers attributes on each start, but we do not trust that silently:
 * an older SQLite file may predate an attribute, or hold it with a different type.
 */
async function ensureSearchAttributes(conn: Connection, o: Resolved): Promise<void> {
  const { namespace } = o;
  const { customAttributes } = await conn.operatorService.listSearchAttributes({ namespace });
  const missing: Record<string, number> = {};
  for (const [name, kind] of Object.entries(o.searchAttributes)) {
    const have = customAttributes?.[name];
    if (have === undefined || have === null) missing[name] = INDEXED_VALUE_TYPE[kind];
    else if (have !== INDEXED_VALUE_TYPE[kind]) {
      throw new Error(
        `search attribute ${name} is registered with IndexedValueType ${have} in ${o.dbFile}, but Gatehouse needs ${kind}; ` +
          'use a fresh dbFile',
      );
    }
  }
  if (Object.keys(missing).length === 0) return;
  o.log(`registering missing search attributes in namespace ${namespace}: ${Object.keys(missing).join(', ')}`);
  await conn.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
}

function makeStop(child: Child, log: (msg: string) => void): () => Promise<void> {
  const { proc } = child;
  const running = (): boolean => child.exitReason() === undefined;
  // Last resort if the host exits without stop(): the child gets SIGTERM and shuts down on its own.
  const onParentExit = (): void => {
    if (running()) proc.kill('SIGTERM');
  };
  process.once('exit', onParentExit);
  let stopping: Promise<void> | undefined;
  return () =>
    (stopping ??= (async () => {
      process.off('exit', onParentExit);
      child.silence();
      if (!running()) return;
      proc.kill('SIGTERM');
      if (await settlesWithin(child.exited, STOP_GRACE_MS)) return;
      log(`temporal dev server ignored SIGTERM for ${STOP_GRACE_MS / 1000}s; sending SIGKILL`);
      proc.kill('SIGKILL');
      // SIGKILL cannot be ignored, but bound the wait so stop() can never hang a shutdown.
      await settlesWithin(child.exited, 5_000);
    })());
}

/** Start `temporal server start-dev` and resolve once it serves requests with our search attributes. */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const o = resolveOptions(opts);
  const args = devServerArgs(opts);
  await assertPortsFree(o);
  narrowDatabase(o.dbFile); // files an older version left readable

  const address = `127.0.0.1:${o.port}`;
  // History holds every request (encrypted payloads, clear metadata): the server creates its
  // database and WAL files under umask 077, i.e. 0600 (an empty pre-created file would make it skip
  // creating its schema). Spawn forks synchronously, so the umask is ours again right after.
  const child = withPrivateUmask(() => spawnChild(o.cliPath, args, o.log));
  const stop = makeStop(child, o.log);
  try {
    const conn = await waitUntilReady(address, child, o.startTimeoutMs);
    try {
      await ensureSearchAttributes(conn, o);
    } finally {
      await conn.close();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const uiUrl = o.ui ? `http://127.0.0.1:${o.uiPort}` : undefined;
  return { address, ...(uiUrl ? { uiUrl } : {}), stop, process: child.proc };
}
