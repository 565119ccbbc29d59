import type { Db, Sql } from '../db';
import { GatewayError } from '../errors';

/**
 * Release control in the process's database (src/db; tables made by its migrations):
 * - `route_versions`: every route table ever live, numbered 1, 2, …; the newest is live;
 * - `route_changes_pending`: changes to protected routes waiting for a second admin;
 * - `change_log`: every change (new versions, rollbacks, kill switch, proposals, approvals, and the
 *   config file's callers/limits/models/providers as loaded: `config`), who, when, why;
 * - `kill_switch`: routes and models disabled right now.
 * Every writer is one transaction under the `release` lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an
 * advisory lock), so two admins (or two processes, or two machines) cannot both build on the same
 * version: the second gets 409.
 */
export type ChangeAction = 'seed' | 'apply' | 'rollback' | 'auto-rollback' | 'propose' | 'approve' | 'approve-route' | 'disable' | 'enable' | 'config';
export type TargetKind = 'route' | 'model';

/** The author of route-table versions taken from the config file. */
export const FILE_AUTHOR = 'config-file';

export interface RouteVersion {
  version: number;
  /** The table as stored: normalized by the route schema when it was accepted. */
  routes: unknown;
  author: string;
  reason: string;
  action: ChangeAction;
  basedOn: number | null;
  approvedBy: string | null;
  createdAt: string;
}

export interface ChangeEntry {
  id: number;
  at: string;
  author: string;
  action: ChangeAction;
  /** Route or model name (kill switch), else null. */
  target: string | null;
  reason: string;
  version: number | null;
  /** The diff lines, the rolled-back-to version, … (JSON). */
  details: unknown;
}

export interface PendingChange {
  id: number;
  basedOn: number;
  routes: unknown;
  author: string;
  reason: string;
  status: 'pending' | 'approved';
  createdAt: string;
}

export interface RouteApprovalRecord {
  route: string;
  hash: string;
  by: string;
  at: string;
  version: number | null;
}

export interface Disabled {
  kind: TargetKind;
  name: string;
  author: string;
  reason: string;
  at: string;
}

export interface NewVersion {
  basedOn: number;
  routes: unknown;
  author: string;
  reason: string;
  action: Extract<ChangeAction, 'seed' | 'apply' | 'rollback' | 'auto-rollback'>;
  approvedBy?: string;
  details?: unknown;
}

/** A config file's access-relevant content as loaded (src/config/audit.ts): no key hash, no secret. */
export interface ConfigRecord {
  author: string;
  /** The config file. */
  source: string;
  reason: string;
  /** Hash of the access view: a record with the same hash as the newest one is not repeated. */
  hash: string;
  view: unknown;
  /** The differences from the previously recorded view (undefined: none yet), one line each. */
  changesSince: (previous: unknown) => string[];
}

/** Every writer takes it: one change at a time, cluster-wide. */
const WRITE = { lock: 'gatehouse:release' };

type Row = Record<string, any>;

export class ReleaseStore {
  constructor(private readonly db: Db) {}

  /** What the store is, for messages (the database, never a password). */
  get file(): string {
    return this.db.description;
  }

  /** Grows with every change of any kind: the hot-reload watermark (cheap: the table's max id). */
  async lastChangeId(): Promise<number> {
    return (await this.db.get<{ id: number }>('SELECT coalesce(max(id), 0) AS id FROM change_log'))!.id;
  }

  latest(tx: Sql = this.db): Promise<RouteVersion | undefined> {
    return tx.get<Row>('SELECT * FROM route_versions ORDER BY version DESC LIMIT 1').then(toVersion);
  }

  version(n: number, tx: Sql = this.db): Promise<RouteVersion | undefined> {
    return tx.get<Row>('SELECT * FROM route_versions WHERE version = ?', [n]).then(toVersion);
  }

  /** Newest first. */
  async versions(limit = 50): Promise<RouteVersion[]> {
    return (await this.db.all<Row>('SELECT * FROM route_versions ORDER BY version DESC LIMIT ?', [limit])).map((r) => toVersion(r)!);
  }

  /**
   * The config file's table: version 1 into an empty store (first start); later a new version when
   * the file's routes changed and the newest version is still the file's own (no admin has changed
   * the table since), so editing the file keeps working until release control takes over. Undefined:
   * nothing stored.
   */
  seed(routes: unknown, source: string): Promise<RouteVersion | undefined> {
    return this.db.transaction(async (tx) => {
      const latest = await this.latest(tx);
      if (!latest) return this.insertVersion(tx, { basedOn: 0, routes, author: FILE_AUTHOR, reason: `initial route table from ${source}`, action: 'seed' });
      if (latest.author !== FILE_AUTHOR || JSON.stringify(latest.routes) === JSON.stringify(routes)) return undefined;
      return this.insertVersion(tx, { basedOn: latest.version, routes, author: FILE_AUTHOR, reason: `route table from ${source}: the file changed, no admin change since`, action: 'seed' });
    }, WRITE);
  }

  /** A new live version; 409 when `basedOn` is not the newest version any more. */
  commit(v: NewVersion): Promise<RouteVersion> {
    return this.db.transaction((tx) => this.insertVersion(tx, v), WRITE);
  }

  /** A change to protected routes, parked until another admin approves it. */
  propose(p: { basedOn: number; routes: unknown; author: string; reason: string; details: unknown }): Promise<PendingChange> {
    return this.db.transaction(async (tx) => {
      const { id } = (await tx.get<{ id: number }>('INSERT INTO route_changes_pending (based_on, routes, author, reason) VALUES (?, ?, ?, ?) RETURNING id', [p.basedOn, JSON.stringify(p.routes), p.author, p.reason]))!;
      await log(tx, { author: p.author, action: 'propose', target: `pending ${id}`, reason: p.reason, version: null, details: p.details });
      return (await this.pendingChange(id, tx))!;
    }, WRITE);
  }

  pendingChange(id: number, tx: Sql = this.db): Promise<PendingChange | undefined> {
    return tx.get<Row>('SELECT * FROM route_changes_pending WHERE id = ?', [id]).then(toPending);
  }

  async pendingChanges(): Promise<PendingChange[]> {
    return (await this.db.all<Row>(`SELECT * FROM route_changes_pending WHERE status = 'pending' ORDER BY id`)).map((r) => toPending(r)!);
  }

  /** The approval and the version it makes, in one transaction. */
  approve(id: number, approver: string, v: NewVersion): Promise<RouteVersion> {
    return this.db.transaction(async (tx) => {
      const done = await tx.run(`UPDATE route_changes_pending SET status = 'approved' WHERE id = ? AND status = 'pending'`, [id]);
      if (done === 0) throw new GatewayError('Conflict', 'change_not_pending', `change ${id} is not pending`);
      await log(tx, { author: approver, action: 'approve', target: `pending ${id}`, reason: v.reason, version: v.basedOn + 1, details: null });
      return this.insertVersion(tx, { ...v, approvedBy: approver });
    }, WRITE);
  }

  /**
   * A second admin approves a gated route's definition (its hash): logged as `approve-route`, which is
   * also where approvals are read from. False when that definition was already approved.
   */
  approveRoute(a: { route: string; hash: string; version: number; approver: string; reason: string }): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const known = (await this.routeApprovalsIn(tx)).some((x) => x.route === a.route && x.hash === a.hash);
      if (known) return false;
      await log(tx, { author: a.approver, action: 'approve-route', target: `route ${a.route}`, reason: a.reason, version: a.version, details: { route: a.route, hash: a.hash } });
      return true;
    }, WRITE);
  }

  /** Every gated-route approval: which definition (route + hash), by whom, when. */
  routeApprovals(): Promise<RouteApprovalRecord[]> {
    return this.routeApprovalsIn(this.db);
  }

  private async routeApprovalsIn(tx: Sql): Promise<RouteApprovalRecord[]> {
    const rows = await tx.all<Row>(`SELECT author, at, version, details FROM change_log WHERE action = 'approve-route' ORDER BY id`);
    return rows.map((r) => {
      const d = JSON.parse(r.details) as { route: string; hash: string };
      return { route: d.route, hash: d.hash, by: r.author, at: r.at, version: r.version };
    });
  }

  disabled(): Promise<Disabled[]> {
    return this.db.all<Disabled>('SELECT * FROM kill_switch ORDER BY at');
  }

  /** Kill switch on/off, logged; false when it already was in that state (nothing logged). */
  setDisabled(kind: TargetKind, name: string, disabled: boolean, author: string, reason: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const changed = disabled
        ? await tx.run('INSERT INTO kill_switch (kind, name, author, reason) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [kind, name, author, reason])
        : await tx.run('DELETE FROM kill_switch WHERE kind = ? AND name = ?', [kind, name]);
      if (changed > 0) await log(tx, { author, action: disabled ? 'disable' : 'enable', target: `${kind} ${name}`, reason, version: null, details: null });
      return changed > 0;
    }, WRITE);
  }

  /** The newest `config` entry's details (hash and view), to diff the next load against. */
  async lastConfig(tx: Sql = this.db): Promise<{ hash: string; view: unknown } | undefined> {
    const row = await tx.get<Row>(`SELECT details FROM change_log WHERE action = 'config' ORDER BY id DESC LIMIT 1`);
    return row?.details ? (JSON.parse(row.details) as { hash: string; view: unknown }) : undefined;
  }

  /**
   * Logs a config load unless the newest config entry has the same hash (a restart, or another
   * process that saw the same file change). One transaction: concurrent processes log it once.
   */
  recordConfig(r: ConfigRecord): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const last = await this.lastConfig(tx);
      if (last?.hash === r.hash) return false;
      const changes = r.changesSince(last?.view);
      await log(tx, { author: r.author, action: 'config', target: r.source, reason: r.reason, version: null, details: { hash: r.hash, changes, view: r.view } });
      return true;
    }, WRITE);
  }

  /** Newest first. */
  async changes(limit = 100): Promise<ChangeEntry[]> {
    return (await this.db.all<Row>('SELECT * FROM change_log ORDER BY id DESC LIMIT ?', [limit])).map((r) => ({
      id: r.id,
      at: r.at,
      author: r.author,
      action: r.action,
      target: r.target,
      reason: r.reason,
      version: r.version,
      details: r.details ? JSON.parse(r.details) : null,
    }));
  }

  private async insertVersion(tx: Sql, v: NewVersion): Promise<RouteVersion> {
    const latest = (await this.latest(tx))?.version ?? 0;
    if (v.basedOn !== latest) {
      throw new GatewayError('Conflict', 'stale_route_table', `the change is based on route table version ${v.basedOn}, but version ${latest} is live: fetch it again (GET /admin/routes) and re-apply`);
    }
    const version = latest + 1;
    await tx.run('INSERT INTO route_versions (version, routes, author, reason, action, based_on, approved_by) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      version, JSON.stringify(v.routes), v.author, v.reason, v.action, latest || null, v.approvedBy ?? null,
    ]);
    await log(tx, { author: v.author, action: v.action, target: null, reason: v.reason, version, details: v.details ?? null });
    return (await this.version(version, tx))!;
  }
}

async function log(tx: Sql, e: Omit<ChangeEntry, 'id' | 'at'>): Promise<void> {
  await tx.run('INSERT INTO change_log (author, action, target, reason, version, details) VALUES (?, ?, ?, ?, ?, ?)', [
    e.author, e.action, e.target, e.reason, e.version, e.details === null || e.details === undefined ? null : JSON.stringify(e.details),
  ]);
}

function toVersion(r: Row | undefined): RouteVersion | undefined {
  if (!r) return undefined;
  return { version: r.version, routes: JSON.parse(r.routes), author: r.author, reason: r.reason, action: r.action, basedOn: r.based_on, approvedBy: r.approved_by, createdAt: r.created_at };
}

function toPending(r: Row | undefined): PendingChange | undefined {
  if (!r) return undefined;
  return { id: r.id, basedOn: r.based_on, routes: JSON.parse(r.routes), author: r.author, reason: r.reason, status: r.status, createdAt: r.created_at };
}
