import { validateAnswer } from '../src/admission/admit';
import { INLINE_ONLY } from '../src/admission/cpuPool';
import { parseDuration } from '../src/config/duration';
import { detectSensitive, summarizeKinds } from '../src/policy/sensitivity';
import type { ReviewSettings } from '../src/review/types';
import { routeByName } from '../src/routing';
import type { OnFailureAction, ValidationResult } from '../src/validation';
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
      const route = routeByName(input.route, deps.config());
      const rules = route?.validation;
      const result = await validateAnswer(deps.cpu ?? INLINE_ONLY, input.content, rules, input.responseFormat);
      const review = reviewSettings(route);
      const scan = review?.when.includes('on_sensitive_output') ?? false;
      return {
        validation: result.checks.length > 0 ? result : null,
        onFailure: rules?.onFailure ?? 'fail',
        review,
        sensitiveKinds: scan ? summarizeKinds(detectSensitive(input.content)) : [],
      };
    },
  };
}

type RouteLike = { validation?: { onFailure?: OnFailureAction } & object; review?: { when: ReviewSettings['when']; deadline: string; onTimeout: ReviewSettings['onTimeout'] } };

/**
 * The check of an answer when nothing depends on its content (no rules, no JSON response_format,
 * no scan for sensitive output): known before the call, so the workflow needs no local activity
 * per answer. Null when the answer itself must be looked at.
 */
export function checkWithoutContent(route: RouteLike | undefined, responseFormat: unknown): AnswerCheck | null {
  const review = reviewSettings(route);
  const jsonFormat = typeof responseFormat === 'object' && responseFormat !== null && (responseFormat as { type?: string }).type !== 'text';
  if (route?.validation || jsonFormat || review?.when.includes('on_sensitive_output')) return null;
  return { validation: null, onFailure: 'fail', review, sensitiveKinds: [] };
}

function reviewSettings(route: RouteLike | undefined): ReviewSettings | null {
  const r = route?.review;
  return r ? { when: r.when, deadline: r.deadline, deadlineMs: parseDuration(r.deadline), onTimeout: r.onTimeout } : null;
}
