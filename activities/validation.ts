import { parseDuration } from '../src/config/duration';
import { detectSensitive, summarizeKinds } from '../src/policy/sensitivity';
import type { ReviewSettings } from '../src/review/types';
import { validateOutput, type OnFailureAction, type ValidationResult } from '../src/validation';
import type { ActivityDeps } from './deps';

export interface AnswerCheckInput {
  route: string;
  /** The answer's text (an empty string when the model sent none). */
  content: string;
  /** The request's `response_format`: a json_schema there is checked like the route's own rules. */
  responseFormat?: unknown;
}

/** What the workflow needs to decide about one answer. Plain, secret-free data (it lands in history). */
export interface AnswerCheck {
  /** Null when nothing asks for a check (no rules on the route, no JSON response_format). */
  validation: ValidationResult | null;
  onFailure: OnFailureAction;
  /** The route's review settings, null when the route never holds. */
  review: ReviewSettings | null;
  /** Kinds the sensitivity detectors found in the answer; scanned only when the route reviews on them. */
  sensitiveKinds: string[];
}

export function createValidationActivities(deps: ActivityDeps) {
  return {
    /**
     * Local activity run after each provider answer: the route's validation rules and the request's
     * response_format (Ajv lives here, not in the workflow sandbox), plus what review needs to know.
     */
    async checkAnswer(input: AnswerCheckInput): Promise<AnswerCheck> {
      const route = deps.config().routes.find((r) => r.name === input.route);
      const rules = route?.validation;
      const result = validateOutput(input.content, rules, input.responseFormat);
      const review = route?.review ? { ...route.review, deadlineMs: parseDuration(route.review.deadline) } : null;
      const scan = review?.when.includes('on_sensitive_output') ?? false;
      return {
        validation: result.checks.length > 0 ? result : null,
        onFailure: rules?.onFailure ?? 'fail',
        review: review && { when: review.when, deadline: review.deadline, deadlineMs: review.deadlineMs, onTimeout: review.onTimeout },
        sensitiveKinds: scan ? summarizeKinds(detectSensitive(input.content)) : [],
      };
    },
  };
}
