import { z } from 'zod';

/** Longest edited answer and comment accepted (characters): the body stays well under its route's 128 KiB limit. */
export const MAX_EDITED_CHARS = 32_000;
export const MAX_COMMENT_CHARS = 2_000;
/** The route's body limit in bytes (UTF-8 of the two texts at their longest, plus the envelope). */
export const FEEDBACK_BODY_LIMIT = 128 * 1024;

export const FEEDBACK_OUTCOMES = ['accepted', 'edited', 'rejected'] as const;
export type FeedbackOutcome = (typeof FEEDBACK_OUTCOMES)[number];

/**
 * `POST /v1/requests/{id}/feedback`: what the calling app's end user did with the answer. `score` is
 * a number from 0 (useless) to 1 (perfect); `edited_text` comes with `edited` and only with it.
 */
export const FeedbackBodySchema = z
  .strictObject({
    outcome: z.enum(FEEDBACK_OUTCOMES),
    edited_text: z.string().min(1).max(MAX_EDITED_CHARS).optional(),
    score: z.number().min(0).max(1).optional(),
    comment: z.string().max(MAX_COMMENT_CHARS).optional(),
  })
  .refine((b) => (b.outcome === 'edited') === (b.edited_text !== undefined), {
    message: 'edited_text is required with outcome "edited" and only with it',
    path: ['edited_text'],
  });

export type FeedbackBody = z.infer<typeof FeedbackBodySchema>;

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
