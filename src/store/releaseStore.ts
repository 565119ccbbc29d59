import Database from 'better-sqlite3';
import { privateFile } from './privateFiles';
import { GatewayError } from '../errors';

/**
 * Release control in the ledger's SQLite database (its own connection, its own tables, created when
 * missing; additive migrations only):
 * - `route_versions`: every route table ever live, numbered 1, 2, …; the newest is live;
 * - `route_changes_pending`: changes to protected routes waiting for a second admin;
 * - `change_log`: every change (new versions, rollbacks, kill switch, proposals, approvals, and the
 *   config file's callers/limits/models/providers as loaded: `config`), who, when, why;
 * - `kill_switch`: routes and models disabled right now.
 * Every writer goes through `BEGIN IMMEDIATE`, so two admins (or two processes) cannot both build on
 * the same version: the second gets 409.
 */
export type ChangeAction = 'seed' | 'apply' | 'rollback' | 'auto-rollback' | 'propose' | 'approve' | 'disable' | 'enable' | 'config';
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

const NOW = `(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`;
const SCHEMA = `
CREATE TABLE IF NOT EXISTS route_versions (
  version INTEGER PRIMARY KEY, routes TEXT NOT NULL, author TEXT NOT NULL, reason TEXT NOT NULL,
  action TEXT NOT NULL, based_on INTEGER, approved_by TEXT, created_at TEXT NOT NULL DEFAULT ${NOW});
CREATE TABLE IF NOT EXISTS route_changes_pending (
  id INTEGER PRIMARY KEY AUTOINCREMENT, based_on INTEGER NOT NULL, routes TEXT NOT NULL, author TEXT NOT NULL,
  reason TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending', created_at TEXT NOT NULL DEFAULT ${NOW});
CREATE TABLE IF NOT EXISTS change_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL DEFAULT ${NOW}, author TEXT NOT NULL, action TEXT NOT NULL,
  target TEXT, reason TEXT NOT NULL, version INTEGER, details TEXT);
CREATE TABLE IF NOT EXISTS kill_switch (
  kind TEXT NOT NULL, name TEXT NOT NULL, author TEXT NOT NULL, reason TEXT NOT NULL,
  at TEXT NOT NULL DEFAULT ${NOW}, PRIMARY KEY (kind, name));
`;

type Row = Record<string, any>;

export class ReleaseStore {
  readonly db: Database.Database;

  constructor(readonly file: string) {
    privateFile(file); // 0600 before SQLite opens it: its -wal and -shm take the same mode
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  /** Grows with every change of any kind: the hot-reload watermark (cheap: the table's max rowid). */
  lastChangeId(): number {
    return (this.db.prepare('SELECT coalesce(max(id), 0) AS id FROM change_log').get() as { id: number }).id;
  }

  latest(): RouteVersion | undefined {
    return toVersion(this.db.prepare('SELECT * FROM route_versions ORDER BY version DESC LIMIT 1').get() as Row | undefined);
  }

  version(n: number): RouteVersion | undefined {
    return toVersion(this.db.prepare('SELECT * FROM route_versions WHERE version = ?').get(n) as Row | undefined);
  }

  /** Newest first. */
  versions(limit = 50): RouteVersion[] {
    return (this.db.prepare('SELECT * FROM route_versions ORDER BY version DESC LIMIT ?').all(limit) as Row[]).map((r) => toVersion(r)!);
  }

  /**
   * The config file's table: version 1 into an empty store (first start); later a new version when
   * the file's routes changed and the newest version is still the file's own (no admin has changed
   * the table since), so editing the file keeps working until release control takes over. Undefined:
   * nothing stored.
   */
  seed(routes: unknown, source: string): RouteVersion | undefined {
    return this.db
      .transaction(() => {
        const latest = this.latest();
        if (!latest) return this.insertVersion({ basedOn: 0, routes, author: FILE_AUTHOR, reason: `initial route table from ${source}`, action: 'seed' });
        if (latest.author !== FILE_AUTHOR || JSON.stringify(latest.routes) === JSON.stringify(routes)) return undefined;
        return this.insertVersion({ basedOn: latest.version, routes, author: FILE_AUTHOR, reason: `route table from ${source}: the file changed, no admin change since`, action: 'seed' });
      })
      .immediate();
  }

  /** A new live version; 409 when `basedOn` is not the newest version any more. */
  commit(v: NewVersion): RouteVersion {
    return this.db.transaction(() => this.insertVersion(v)).immediate();
  }

  /** A change to protected routes, parked until another admin approves it. */
  propose(p: { basedOn: number; routes: unknown; author: string; reason: string; details: unknown }): PendingChange {
    return this.db
      .transaction(() => {
        const { lastInsertRowid } = this.db.prepare('INSERT INTO route_changes_pending (based_on, routes, author, reason) VALUES (?, ?, ?, ?)').run(p.basedOn, JSON.stringify(p.routes), p.author, p.reason);
        this.log({ author: p.author, action: 'propose', target: `pending ${lastInsertRowid}`, reason: p.reason, version: null, details: p.details });
        return this.pendingChange(Number(lastInsertRowid))!;
      })
      .immediate();
  }

  pendingChange(id: number): PendingChange | undefined {
    return toPending(this.db.prepare('SELECT * FROM route_changes_pending WHERE id = ?').get(id) as Row | undefined);
  }

  pendingChanges(): PendingChange[] {
    return (this.db.prepare(`SELECT * FROM route_changes_pending WHERE status = 'pending' ORDER BY id`).all() as Row[]).map((r) => toPending(r)!);
  }

  /** The approval and the version it makes, in one transaction. */
  approve(id: number, approver: string, v: NewVersion): RouteVersion {
    return this.db
      .transaction(() => {
        const done = this.db.prepare(`UPDATE route_changes_pending SET status = 'approved' WHERE id = ? AND status = 'pending'`).run(id);
        if (done.changes === 0) throw new GatewayError('Conflict', 'change_not_pending', `change ${id} is not pending`);
        this.log({ author: approver, action: 'approve', target: `pending ${id}`, reason: v.reason, version: v.basedOn + 1, details: null });
        return this.insertVersion({ ...v, approvedBy: approver });
      })
      .immediate();
  }

  disabled(): Disabled[] {
    return this.db.prepare('SELECT * FROM kill_switch ORDER BY at').all() as Disabled[];
  }

  /** Kill switch on/off, logged; false when it already was in that state (nothing logged). */
  setDisabled(kind: TargetKind, name: string, disabled: boolean, author: string, reason: string): boolean {
    return this.db
      .transaction(() => {
        const changed = disabled
          ? this.db.prepare('INSERT INTO kill_switch (kind, name, author, reason) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING').run(kind, name, author, reason).changes
          : this.db.prepare('DELETE FROM kill_switch WHERE kind = ? AND name = ?').run(kind, name).changes;
        if (changed > 0) this.log({ author, action: disabled ? 'disable' : 'enable', target: `${kind} ${name}`, reason, version: null, details: null });
        return changed > 0;
      })
      .immediate();
  }

  /** The newest `config` entry's details (hash and view), to diff the next load against. */
  lastConfig(): { hash: string; view: unknown } | undefined {
    const row = this.db.prepare(`SELECT details FROM change_log WHERE action = 'config' ORDER BY id DESC LIMIT 1`).get() as Row | undefined;
    return row?.details ? (JSON.parse(row.details) as { hash: string; view: unknown }) : undefined;
  }

  /**
   * Logs a config load unless the newest config entry has the same hash (a restart, or another
   * process that saw the same file change). One transaction: concurrent processes log it once.
   */
  recordConfig(r: ConfigRecord): boolean {
    return this.db
      .transaction(() => {
        const last = this.lastConfig();
        if (last?.hash === r.hash) return false;
        const changes = r.changesSince(last?.view);
        this.log({ author: r.author, action: 'config', target: r.source, reason: r.reason, version: null, details: { hash: r.hash, changes, view: r.view } });
        return true;
      })
      .immediate();
  }

  /** Newest first. */
  changes(limit = 100): ChangeEntry[] {
    return (this.db.prepare('SELECT * FROM change_log ORDER BY id DESC LIMIT ?').all(limit) as Row[]).map((r) => ({
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

  close(): void {
    this.db.close();
  }

  private insertVersion(v: NewVersion): RouteVersion {
    const latest = this.latest()?.version ?? 0;
    if (v.basedOn !== latest) {
      throw new GatewayError('Conflict', 'stale_route_table', `the change is based on route table version ${v.basedOn}, but version ${latest} is live: fetch it again (GET /admin/routes) and re-apply`);
    }
    const version = latest + 1;
    this.db
      .prepare('INSERT INTO route_versions (version, routes, author, reason, action, based_on, approved_by) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(version, JSON.stringify(v.routes), v.author, v.reason, v.action, latest || null, v.approvedBy ?? null);
    this.log({ author: v.author, action: v.action, target: null, reason: v.reason, version, details: v.details ?? null });
    return this.version(version)!;
  }

  private log(e: Omit<ChangeEntry, 'id' | 'at'>): void {
    this.db
      .prepare('INSERT INTO change_log (author, action, target, reason, version, details) VALUES (?, ?, ?, ?, ?, ?)')
      .run(e.author, e.action, e.target, e.reason, e.version, e.details === null || e.details === undefined ? null : JSON.stringify(e.details));
  }
}

function toVersion(r: Row | undefined): RouteVersion | undefined {
  if (!r) return undefined;
  return { version: r.version, routes: JSON.parse(r.routes), author: r.author, reason: r.reason, action: r.action, basedOn: r.based_on, approvedBy: r.approved_by, createdAt: r.created_at };
}

function toPending(r: Row | undefined): PendingChange | undefined {
  if (!r) return undefined;
  return { id: r.id, basedOn: r.based_on, routes: JSON.parse(r.routes), author: r.author, reason: r.reason, status: r.status, createdAt: r.created_at };
}
