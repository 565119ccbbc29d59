import { workflowInfo } from '@temporalio/workflow';
import { feedbackFacts, type FeedbackInput } from '../src/feedback/facts';
import { ledger } from './proxies';

export interface FeedbackRecorded {
  request_id: string;
  outcome: string;
  recorded_at: string;
}

/**
 * One end user's feedback on a completed request (`<requestId>/feedback`; each new feedback is a new
 * run of that id). A completed request workflow takes no more signals, so the feedback has a short
 * workflow of its own: its history (encrypted like every payload) keeps the edited text and the
 * comment; the ledger keeps the facts (outcome, score, sizes), the latest feedback winning.
 */
export async function requestFeedback(input: FeedbackInput): Promise<FeedbackRecorded> {
  const at = new Date().toISOString(); // workflow time: the same on replay
  await ledger.recordFeedback(feedbackFacts(input, workflowInfo().runId, at));
  return { request_id: input.requestId, outcome: input.feedback.outcome, recorded_at: at };
}
