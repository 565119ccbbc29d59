import { FEEDBACK_OUTCOMES, type FeedbackOutcome } from './schema';

/** One model's end-user feedback in a window: counts and rates per outcome, mean score. */
export interface ModelFeedback {
  model: string;
  total: number;
  counts: Record<FeedbackOutcome, number>;
  rates: Record<FeedbackOutcome, number>;
  /** Mean of the scores given (0..1); null when none was. */
  meanScore: number | null;
}

export interface FeedbackCount {
  model: string | null;
  outcome: string;
  count: number;
  scoreSum: number;
  scored: number;
}

/** Pure: per-model feedback from grouped ledger counts (one latest feedback per request), most answered first. */
export function feedbackByModel(rows: readonly FeedbackCount[]): ModelFeedback[] {
  const byModel = new Map<string, { counts: Record<FeedbackOutcome, number>; scoreSum: number; scored: number }>();
  for (const r of rows) {
    if (!(FEEDBACK_OUTCOMES as readonly string[]).includes(r.outcome)) continue;
    const m = byModel.get(r.model ?? '(none)') ?? { counts: { accepted: 0, edited: 0, rejected: 0 }, scoreSum: 0, scored: 0 };
    m.counts[r.outcome as FeedbackOutcome] += r.count;
    m.scoreSum += r.scoreSum;
    m.scored += r.scored;
    byModel.set(r.model ?? '(none)', m);
  }
  return [...byModel]
    .map(([model, m]) => {
      const total = m.counts.accepted + m.counts.edited + m.counts.rejected;
      const rate = (n: number) => (total ? n / total : 0);
      return {
        model,
        total,
        counts: m.counts,
        rates: { accepted: rate(m.counts.accepted), edited: rate(m.counts.edited), rejected: rate(m.counts.rejected) },
        meanScore: m.scored ? m.scoreSum / m.scored : null,
      };
    })
    .sort((a, b) => b.total - a.total || a.model.localeCompare(b.model));
}
