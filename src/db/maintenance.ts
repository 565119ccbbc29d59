import type { Db } from './types';

/**
 * Cluster-wide periodic jobs (budget prune, ledger retention): every process looks now and then,
 * and the one whose claim lands runs the job; the others see it done. The claim is one conditional
 * UPDATE of the job's row in `maintenance` (last run older than the period → now), atomic in both
 * databases, so however many processes share the database, a job runs once per period.
 */
export async function claim(db: Db, job: string, everyMs: number, nowMs: number = Date.now()): Promise<boolean> {
  await db.run('INSERT INTO maintenance (job, last_run_ms) VALUES (?, 0) ON CONFLICT (job) DO NOTHING', [job]);
  return (await db.run('UPDATE maintenance SET last_run_ms = ? WHERE job = ? AND last_run_ms <= ?', [nowMs, job, nowMs - everyMs])) === 1;
}

export interface Scheduled {
  /** Stops looking and waits for a run in progress. */
  stop(): Promise<void>;
  /** The look in progress (tests: the one at start). */
  readonly settled: Promise<void>;
}

/** How often a process looks whether a job is due: cheap (one UPDATE), well inside any period. */
const LOOK_EVERY_MS = 15 * 60_000;

/** Looks at start and every quarter hour; runs `fn` when this process claims the period's run. */
export function schedule(db: Db, job: string, everyMs: number, fn: () => Promise<void>, onError: (err: Error) => void): Scheduled {
  let running: Promise<void> = Promise.resolve();
  const look = () => {
    running = running.then(async () => {
      try {
        if (await claim(db, job, everyMs)) await fn();
      } catch (err) {
        onError(err as Error);
      }
    });
  };
  look();
  const timer = setInterval(look, Math.min(LOOK_EVERY_MS, everyMs)).unref();
  return {
    get settled() {
      return running;
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
