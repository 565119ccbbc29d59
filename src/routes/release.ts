import type { Logger } from 'pino';
import { LiveConfig, type LiveSnapshot } from '../config/liveConfig';
import type { Config } from '../config/schema';
import type { GatewayResponse } from '../temporal/contract';
import { ComparisonStore } from '../store/comparisons';
import { ReleaseStore } from '../store/releaseStore';
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
  close(): void;
}

/** Opens the release tables in the ledger database (`file`) and starts watching for changes. */
export function openRelease(base: Config, file: string, logger: Logger, opts: { source: string; pollMs?: number }): Release {
  const store = new ReleaseStore(file);
  const comparisons = new ComparisonStore(file);
  let live: LiveConfig;
  try {
    live = LiveConfig.open(base, store, logger, opts);
  } catch (err) {
    store.close();
    comparisons.close();
    throw err;
  }
  const control = new RouteControl(store, live, logger);
  const autoRollback = new AutoRollback(store, comparisons, control, live, logger);
  return {
    store,
    live,
    control,
    comparisons,
    autoRollback,
    runtime: (primaryResult) => ({ snapshot: () => live.snapshot(), comparisons, autoRollback, primaryResult }),
    close() {
      live.stop();
      comparisons.close();
      store.close();
    },
  };
}
