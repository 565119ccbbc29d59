/** Human review: config, pure decisions and access rules. Workflow code imports the files directly (no zod there). */
export { ReviewConfigSchema, ReviewOnTimeout, ReviewWhen, type ReviewConfig, type ReviewWhenName } from './schema';
export type { HeldAnswerView, ReviewAction, ReviewDecisionInput, ReviewPhase, ReviewRecord, ReviewSettings, ReviewState } from './types';
export { deadlineOutcome, holdReasons, nextStepForInvalid, parseDecision, taskMayHold, type HoldFacts, type InvalidAnswerStep } from './decide';
export { mayReview, reviewableRoutes, type ReviewerIdentity } from './access';
export { reviewConfigProblems } from './config';
