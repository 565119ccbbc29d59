import type { Logger } from 'pino';
import { validateRouteTable } from '../routes/validate';
import type { ReleaseStore } from '../store/releaseStore';
import { ConfigError } from './load';
import type { Config } from './schema';

/** What every request reads: the config with the live route table, and the kill switch. */
export interface LiveSnapshot {
  config: Config;
  /** The route-table version in force (recorded on each request). */
  version: number;
  /** Name → reason, for routes and models the kill switch holds. */
  disabledRoutes: ReadonlyMap<string, string>;
  disabledModels: ReadonlyMap<string, string>;
}

/** How often a process looks for a change made elsewhere: well inside the 2 s promise. */
export const DEFAULT_RELOAD_MS = 500;

/**
 * The reloadable config source. The file gives providers, models, callers and limits; the store's
 * newest route-table version gives the routes (the file's `routes:` only seeds version 1 into an
 * empty store). Every `pollMs` it reads the change log's high-water mark (one indexed max() query)
 * and, when it moved, swaps in a new snapshot: new requests in this process then see the change,
 * whichever process made it. Reads are a field access, so the request path pays nothing.
 */
export class LiveConfig {
  private snap: LiveSnapshot;
  private mark: number;
  private timer?: NodeJS.Timeout;

  private constructor(
    private file: Config,
    private readonly store: ReleaseStore,
    private readonly logger: Logger,
  ) {
    this.mark = store.lastChangeId();
    this.snap = this.load(true);
  }

  /** Seeds version 1 when the store is empty, loads the newest version, starts watching. */
  static open(base: Config, store: ReleaseStore, logger: Logger, opts: { source: string; pollMs?: number }): LiveConfig {
    const seeded = store.seed(base.routes, opts.source);
    if (seeded) logger.info({ version: seeded.version }, seeded.version === 1 ? 'route table seeded from the config file' : 'route table updated from the config file (no admin change since the file last gave it)');
    const live = new LiveConfig(base, store, logger);
    if (!seeded && JSON.stringify(base.routes) !== JSON.stringify(live.snap.config.routes)) {
      logger.warn({ version: live.snap.version }, 'the config file\'s routes differ from the live route table; the live table wins (change it with `gatehouse routes apply`)');
    }
    live.timer = setInterval(() => live.refresh(), opts.pollMs ?? DEFAULT_RELOAD_MS);
    live.timer.unref();
    return live;
  }

  snapshot(): LiveSnapshot {
    return this.snap;
  }

  config(): Config {
    return this.snap.config;
  }

  /** The config file's part (providers, models, callers, limits), as last loaded. */
  get base(): Config {
    return this.file;
  }

  /**
   * A reloaded config file: the live route table must still fit it (else this throws and nothing
   * changes); new requests then see it.
   */
  rebase(next: Config): void {
    const previous = this.file;
    this.file = next;
    try {
      this.snap = this.load(false);
    } catch (err) {
      this.file = previous;
      throw err;
    }
  }

  /** Picks up any change since the last look; returns true when something changed. */
  refresh(): boolean {
    const mark = this.store.lastChangeId();
    if (mark === this.mark) return false;
    try {
      const next = this.load(false);
      this.mark = mark;
      if (next.version !== this.snap.version) this.logger.info({ version: next.version }, 'route table reloaded');
      this.snap = next;
      return true;
    } catch (err) {
      this.logger.error({ err }, 'could not reload the route table; keeping the previous one');
      return false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private load(atStart: boolean): LiveSnapshot {
    const latest = this.store.latest();
    if (!latest) throw new Error('the route table store is empty');
    const check = validateRouteTable(latest.routes, this.base);
    // Every stored version was checked when it was made; a failure here means the config file changed under it.
    if (!check.ok) {
      const problems = check.problems.map((p) => `route table v${latest.version}: ${p}`);
      if (atStart) throw new ConfigError(this.store.file, [...problems, 'fix the config file (e.g. restore the model) or apply a table that fits it']);
      throw new Error(problems.join('; '));
    }
    const disabled = this.store.disabled();
    const reasons = (kind: string) => new Map(disabled.filter((d) => d.kind === kind).map((d) => [d.name, d.reason]));
    return { config: { ...this.base, routes: check.routes }, version: latest.version, disabledRoutes: reasons('route'), disabledModels: reasons('model') };
  }
}
