import type { FeedbackBody, FeedbackOutcome } from './schema';

// Type-only imports: the feedback workflow uses this file, and zod must stay out of the workflow bundle.

/** The feedback workflow's input: the body (encrypted in history, like every payload) and whose answer it was. */
export interface FeedbackInput {
  requestId: string;
  caller: string;
  team: string | null;
  route: string | null;
  model: string | null;
  feedback: FeedbackBody;
}

/** What the ledger keeps of a feedback: names, outcome, score and sizes; never the edited text or the comment. */
export interface FeedbackFacts {
  requestId: string;
  caller: string;
  team: string | null;
  route: string | null;
  model: string | null;
  outcome: FeedbackOutcome;
  score: number | null;
  editedChars: number | null;
  commented: boolean;
  /** The feedback workflow's run: a retried ledger write of the same run changes nothing. */
  runId: string;
  at: string;
}

/** Pure: the facts of one feedback, for the ledger. */
export function feedbackFacts(input: FeedbackInput, runId: string, at: string): FeedbackFacts {
  const f = input.feedback;
  return {
    requestId: input.requestId,
    caller: input.caller,
    team: input.team,
    route: input.route,
    model: input.model,
    outcome: f.outcome,
    score: f.score ?? null,
    editedChars: f.edited_text === undefined ? null : f.edited_text.length,
    commented: (f.comment ?? '') !== '',
    runId,
    at,
  };
}
