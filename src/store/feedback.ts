import Database from 'better-sqlite3';
import type { FeedbackCount } from '../feedback/report';
import type { FeedbackFacts } from '../feedback/schema';

/**
 * End-user feedback (`feedback` table, one row per request: the latest feedback wins) on its own
 * connection to the ledger database. Only facts: outcome, score, sizes; the edited text and the
 * comment stay in the feedback workflow's (encrypted) history.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS feedback (
  request_id TEXT PRIMARY KEY, caller TEXT NOT NULL, team TEXT, route TEXT, model TEXT,
  outcome TEXT NOT NULL, score REAL, edited_chars INTEGER, commented INTEGER NOT NULL,
  run_id TEXT NOT NULL, created_at TEXT NOT NULL, updates INTEGER NOT NULL DEFAULT 1);
CREATE INDEX IF NOT EXISTS feedback_route ON feedback(route, created_at);
`;

export interface FeedbackRow {
  request_id: string;
  caller: string;
  team: string | null;
  route: string | null;
  model: string | null;
  outcome: string;
  score: number | null;
  edited_chars: number | null;
  commented: number;
  run_id: string;
  created_at: string;
  /** How many feedbacks this request has had (the row shows the latest). */
  updates: number;
}

export class FeedbackStore {
  private readonly db: Database.Database;
  private readonly upsert: Database.Statement;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    // A newer feedback replaces the row; the same run written again (a retried activity) changes
    // nothing. Written in the SQL SQLite and PostgreSQL both speak (`?` placeholders, qualified columns).
    this.upsert = this.db.prepare(`INSERT INTO feedback (request_id, caller, team, route, model, outcome, score, edited_chars, commented, run_id, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (request_id) DO UPDATE SET outcome = excluded.outcome, score = excluded.score, edited_chars = excluded.edited_chars,
        commented = excluded.commented, run_id = excluded.run_id, created_at = excluded.created_at, updates = feedback.updates + 1
      WHERE feedback.run_id <> excluded.run_id`);
  }

  /** Records a feedback; false when this run was recorded already. */
  record(f: FeedbackFacts): boolean {
    const params = [f.requestId, f.caller, f.team, f.route, f.model, f.outcome, f.score, f.editedChars, f.commented ? 1 : 0, f.runId, f.at];
    return this.upsert.run(...params).changes > 0;
  }

  get(requestId: string): FeedbackRow | undefined {
    return this.db.prepare('SELECT * FROM feedback WHERE request_id = ?').get(requestId) as FeedbackRow | undefined;
  }

  /** A route's latest feedbacks since an ISO time, counted per model and outcome (the canary report). */
  counts(route: string, since: string): FeedbackCount[] {
    return this.db
      .prepare(`SELECT model, outcome, COUNT(*) AS "count", COALESCE(SUM(score), 0) AS "scoreSum", COUNT(score) AS "scored"
        FROM feedback WHERE route = ? AND created_at >= ? GROUP BY model, outcome`)
      .all(route, since) as FeedbackCount[];
  }

  close(): void {
    this.db.close();
  }
}
