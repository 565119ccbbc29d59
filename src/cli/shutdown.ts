import { Worker } from 'node:worker_threads';

/**
 * SIGTERM/SIGINT always end the process within its grace period. Three layers:
 *  1. the signal handler stops the gateway gracefully (drains the worker, closes the servers);
 *  2. a hard exit after `graceMs` if that stop hangs (e.g. a provider call that never returns);
 *  3. a watchdog thread, which needs no event loop of ours: when the main loop has not turned for
 *     `stallMs`, or is still running `graceMs` after a stop began (its timer could not fire), it kills
 *     the process. A stuck loop cannot even run the signal handler, so without this a SIGTERM would
 *     wait forever. All work on caller input is bounded (src/admission), so this is the last resort.
 */
export interface ShutdownOptions {
  graceMs: number;
  /** 0 disables the stall check (the stop deadline is always watched). */
  stallMs: number;
  log: (msg: string) => void;
}

export const DEFAULT_GRACE_MS = 10_000;
export const DEFAULT_STALL_MS = 60_000;

export function shutdownOptionsFromEnv(env: NodeJS.ProcessEnv, log: (msg: string) => void): ShutdownOptions {
  const ms = (v: string | undefined, dflt: number) => (v !== undefined && v !== '' && Number.isFinite(Number(v)) && Number(v) >= 0 ? Number(v) : dflt);
  return { graceMs: ms(env.GATEHOUSE_SHUTDOWN_GRACE_MS, DEFAULT_GRACE_MS), stallMs: ms(env.GATEHOUSE_STALL_EXIT_MS, DEFAULT_STALL_MS), log };
}

// Plain JavaScript (eval'd): the watchdog must not depend on the TypeScript loader.
const WATCHDOG = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const cells = new BigInt64Array(workerData.shared); // [0] last heartbeat, [1] stop deadline (0: none)
const die = (why) => { try { writeSync(2, 'gatehouse: ' + why + '; killing the process\\n'); } finally { process.kill(process.pid, 'SIGKILL'); } };
setInterval(() => {
  const now = Date.now();
  const stopBy = Number(Atomics.load(cells, 1));
  const stalled = now - Number(Atomics.load(cells, 0));
  if (stopBy > 0 && now > stopBy) die('shutdown did not finish within its grace period');
  else if (workerData.stallMs > 0 && stalled > workerData.stallMs) die('event loop stalled for ' + stalled + ' ms');
}, 100);
`;

export interface ShutdownGuard {
  /** Resolves on the first SIGTERM/SIGINT (a second one ends the process at once). */
  signalled: Promise<string>;
}

export function installShutdown(opts: ShutdownOptions): ShutdownGuard {
  const shared = new SharedArrayBuffer(16);
  const cells = new BigInt64Array(shared);
  const beat = () => Atomics.store(cells, 0, BigInt(Date.now()));
  beat();
  setInterval(beat, 250).unref();
  new Worker(WATCHDOG, { eval: true, workerData: { shared, stallMs: opts.stallMs } }).unref();

  const signalled = new Promise<string>((resolve) => {
    let stopping = false;
    const onSignal = (sig: string) => {
      if (stopping) process.exit(1); // a second signal: stop waiting
      stopping = true;
      opts.log(`${sig}: stopping (at most ${opts.graceMs} ms)`);
      Atomics.store(cells, 1, BigInt(Date.now() + opts.graceMs + 1000));
      setTimeout(() => {
        opts.log(`still stopping after ${opts.graceMs} ms: exiting now`);
        process.exit(1);
      }, opts.graceMs).unref();
      resolve(sig);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return { signalled };
}
