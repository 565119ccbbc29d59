import type { Logger } from 'pino';
import { LiveConfig, type LiveSnapshot } from '../config/liveConfig';
import type { Config } from '../config/schema';
import type { GatewayResponse } from '../temporal/contract';
import { ComparisonStore } from '../store/comparisons';
import { ReleaseStore, type ConfigRecord } from '../store/releaseStore';
import type { Db } from '../db';
import { AutoRollback, type CandidateKind } from './autoRollback';
import { RouteControl } from './control';

/** What activities need of release control (ActivityDeps.release). */
export interface ReleaseRuntime {
  /** Config with the live route table, its version, and the kill switch. */
  snapshot(): LiveSnapshot;
  comparisons: Pick<ComparisonStore, 'record'>;
  autoRollback: { afterOutcome(route: string, which: CandidateKind): void };
  /** The shadowed request's own result, for the comparison (absent: comparisons record the candidate only). */
  primaryResult?: (requestId: string, signal: AbortSignal) => Promise<GatewayResponse>;
}

/** Release control of one process: the store, the live config, changes, comparisons, auto-rollback. */
export interface Release {
  store: ReleaseStore;
  live: LiveConfig;
  control: RouteControl;
  comparisons: ComparisonStore;
  autoRollback: AutoRollback;
  runtime(primaryResult?: ReleaseRuntime['primaryResult']): ReleaseRuntime;
  /** Records a config load in the change log, in order, off the caller's path (see `settled`). */
  recordConfig(r: ConfigRecord): void;
  /** Resolves when every config record asked for so far is written. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** Opens release control on the process's database and starts watching for changes. */
export async function openRelease(base: Config, db: Db, logger: Logger, opts: { source: string; pollMs?: number }): Promise<Release> {
  const store = new ReleaseStore(db);
  const comparisons = new ComparisonStore(db);
  const live = await LiveConfig.open(base, store, logger, opts);
  const control = new RouteControl(store, live, logger);
  const autoRollback = new AutoRollback(store, comparisons, control, live, logger);
  let recording = Promise.resolve();
  return {
    store,
    live,
    control,
    comparisons,
    autoRollback,
    runtime: (primaryResult) => ({ snapshot: () => live.snapshot(), comparisons, autoRollback, primaryResult }),
    recordConfig(r) {
      recording = recording.then(() => store.recordConfig(r)).then(
        () => {},
        (err) => logger.error({ err }, 'could not record the config load in the change log'),
      );
    },
    settled: () => recording,
    async close() {
      live.stop();
      await recording;
    },
  };
}
