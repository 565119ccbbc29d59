import type { Logger } from 'pino';
import { validateRouteTable } from '../routes/validate';
import { createHash } from 'node:crypto';
import { approvalKey, unapprovedRoutes, type Unapproved } from '../routing/approval';
import { FILE_AUTHOR, type Disabled, type ReleaseStore, type RouteApprovalRecord, type RouteVersion } from '../store/releaseStore';
import { ConfigError } from './load';
import type { Config, RouteConfig } from './schema';

/** What every request reads: the config with the live route table, and the kill switch. */
export interface LiveSnapshot {
  config: Config;
  /** The route-table version in force (recorded on each request). */
  version: number;
  /** Name → reason, for routes and models the kill switch holds. */
  disabledRoutes: ReadonlyMap<string, string>;
  disabledModels: ReadonlyMap<string, string>;
  /** Gated routes (`approval:`) whose live definition waits for a second admin (src/routing/approval.ts). */
  unapprovedRoutes: ReadonlyMap<string, Unapproved>;
}

/** How often a process looks for a change made elsewhere: well inside the 2 s promise. */
export const DEFAULT_RELOAD_MS = 500;

/** The store's side of a snapshot: the newest route-table version and the kill switch. */
interface Stored {
  latest: RouteVersion;
  disabled: Disabled[];
  /** Only when the live table has gated routes: recent versions (newest first) and the approvals. */
  versions: RouteVersion[];
  approvals: RouteApprovalRecord[];
}

/** How far back a gated route's proposer is looked for. */
const GATE_HISTORY = 200;

/**
 * The reloadable config source. The file gives providers, models, callers and limits; the store's
 * newest route-table version gives the routes (the file's `routes:` only seeds version 1 into an
 * empty store). Every `pollMs` it reads the change log's high-water mark (one indexed max() query)
 * and, when it moved, swaps in a new snapshot: new requests in this process then see the change,
 * whichever process made it (with PostgreSQL: whichever machine). Reads are a field access, so the
 * request path pays nothing.
 */
export class LiveConfig {
  private timer?: NodeJS.Timeout;
  /** Refreshes run one after another: a refresh asked for after a change sees it. */
  private refreshing: Promise<boolean> = Promise.resolve(false);
  private polling = false;

  private constructor(
    private file: Config,
    private readonly store: ReleaseStore,
    private readonly logger: Logger,
    private mark: number,
    private stored: Stored,
    private snap: LiveSnapshot,
  ) {}

  /** Seeds version 1 when the store is empty, loads the newest version, starts watching. */
  static async open(base: Config, store: ReleaseStore, logger: Logger, opts: { source: string; pollMs?: number }): Promise<LiveConfig> {
    const seeded = await store.seed(base.routes, opts.source);
    if (seeded) logger.info({ version: seeded.version }, seeded.version === 1 ? 'route table seeded from the config file' : 'route table updated from the config file (no admin change since the file last gave it)');
    const mark = await store.lastChangeId();
    const stored = await fetchStored(store);
    const live = new LiveConfig(base, store, logger, mark, stored, build(stored, base, store.file, true));
    if (!seeded && JSON.stringify(base.routes) !== JSON.stringify(live.snap.config.routes)) {
      logger.warn({ version: live.snap.version }, 'the config file\'s routes differ from the live route table; the live table wins (change it with `gatehouse routes apply`)');
    }
    live.timer = setInterval(() => live.poll(), opts.pollMs ?? DEFAULT_RELOAD_MS);
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
   * changes); new requests then see it. Synchronous: built from the table as last read.
   */
  rebase(next: Config): void {
    this.snap = build(this.stored, next, this.store.file, false);
    this.file = next;
  }

  /** Picks up any change since the last look; resolves true when something changed. */
  refresh(): Promise<boolean> {
    const run = this.refreshing.then(
      () => this.refreshNow(),
      () => this.refreshNow(),
    );
    this.refreshing = run;
    return run;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The timer's look: skipped while one is still running (a slow database must not pile them up). */
  private poll(): void {
    if (this.polling) return;
    this.polling = true;
    this.refresh()
      .catch((err) => this.logger.error({ err }, 'could not look for route-table changes'))
      .finally(() => (this.polling = false));
  }

  private async refreshNow(): Promise<boolean> {
    const mark = await this.store.lastChangeId();
    if (mark === this.mark) return false;
    try {
      const stored = await fetchStored(this.store);
      const next = build(stored, this.base, this.store.file, false);
      this.mark = mark;
      this.stored = stored;
      if (next.version !== this.snap.version) this.logger.info({ version: next.version }, 'route table reloaded');
      this.snap = next;
      return true;
    } catch (err) {
      this.logger.error({ err }, 'could not reload the route table; keeping the previous one');
      return false;
    }
  }
}

async function fetchStored(store: ReleaseStore): Promise<Stored> {
  const latest = await store.latest();
  if (!latest) throw new Error('the route table store is empty');
  const gated = (latest.routes as Array<{ approval?: unknown }>).some((r) => r.approval);
  const [disabled, versions, approvals] = await Promise.all([store.disabled(), gated ? store.versions(GATE_HISTORY) : [], gated ? store.routeApprovals() : []]);
  return { latest, disabled, versions, approvals };
}

/** A route definition's identity for approvals: the SHA-256 of its stored (normalized) JSON. */
export function routeHash(r: unknown): string {
  return createHash('sha256').update(JSON.stringify(r)).digest('hex').slice(0, 32);
}

function unapprovedOf({ latest, versions, approvals }: Stored): Map<string, Unapproved> {
  const live = latest.routes as RouteConfig[];
  if (!live.some((r) => r.approval)) return new Map();
  const facts = versions.map((v) => ({ version: v.version, author: v.author, routes: v.routes as RouteConfig[] }));
  const approved = new Set(approvals.map((a) => approvalKey(a.route, a.hash)));
  return unapprovedRoutes(live, facts, approved, routeHash, FILE_AUTHOR);
}

function build(stored: Stored, base: Config, where: string, atStart: boolean): LiveSnapshot {
  const { latest, disabled } = stored;
  const check = validateRouteTable(latest.routes, base);
  // Every stored version was checked when it was made; a failure here means the config file changed under it.
  if (!check.ok) {
    const problems = check.problems.map((p) => `route table v${latest.version}: ${p}`);
    if (atStart) throw new ConfigError(where, [...problems, 'fix the config file (e.g. restore the model) or apply a table that fits it']);
    throw new Error(problems.join('; '));
  }
  const reasons = (kind: string) => new Map(disabled.filter((d) => d.kind === kind).map((d) => [d.name, d.reason]));
  return { config: { ...base, routes: check.routes }, version: latest.version, disabledRoutes: reasons('route'), disabledModels: reasons('model'), unapprovedRoutes: unapprovedOf(stored) };
}
