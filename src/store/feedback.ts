import type { Db } from '../db';
import type { FeedbackCount } from '../feedback/report';
import type { FeedbackFacts } from '../feedback/schema';

/**
 * End-user feedback (`feedback` table of the process's database, made by migration 7; one row per
 * request: the latest feedback wins). Only facts: outcome, score, sizes; the edited text and the
 * comment stay in the feedback workflow's (encrypted) history.
 */
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

// A newer feedback replaces the row; the same run written again (a retried activity) changes nothing.
const UPSERT = `INSERT INTO feedback (request_id, caller, team, route, model, outcome, score, edited_chars, commented, run_id, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (request_id) DO UPDATE SET outcome = excluded.outcome, score = excluded.score, edited_chars = excluded.edited_chars,
    commented = excluded.commented, run_id = excluded.run_id, created_at = excluded.created_at, updates = feedback.updates + 1
  WHERE feedback.run_id <> excluded.run_id`;

export class FeedbackStore {
  constructor(private readonly db: Db) {}

  /** Records a feedback; false when this run was recorded already. */
  async record(f: FeedbackFacts): Promise<boolean> {
    const params = [f.requestId, f.caller, f.team, f.route, f.model, f.outcome, f.score, f.editedChars, f.commented ? 1 : 0, f.runId, f.at];
    return (await this.db.run(UPSERT, params)) > 0;
  }

  get(requestId: string): Promise<FeedbackRow | undefined> {
    return this.db.get<FeedbackRow>('SELECT * FROM feedback WHERE request_id = ?', [requestId]);
  }

  /** A route's latest feedbacks since an ISO time, counted per model and outcome (the canary report). */
  async counts(route: string, since: string): Promise<FeedbackCount[]> {
    const rows = await this.db.all<FeedbackCount>(
      `SELECT model, outcome, COUNT(*) AS "count", COALESCE(SUM(score), 0) AS "scoreSum", COUNT(score) AS "scored"
        FROM feedback WHERE route = ? AND created_at >= ? GROUP BY model, outcome`,
      [route, since],
    );
    // node-pg returns COUNT/SUM of bigints as strings.
    return rows.map((r) => ({ ...r, count: Number(r.count), scoreSum: Number(r.scoreSum), scored: Number(r.scored) }));
  }
}
