import type { ScreeningAction } from './screen';

/**
 * What screening did to an admitted request, from the admission alone. Its own file with type-only
 * imports because workflow code uses it: importing screen.ts would pull the detectors (and their
 * patterns) into the workflow bundle, evaluated again for every workflow.
 */
export function screeningActionOf(a: { forcePrivate: boolean; holdForReview?: string; redactedMessages?: unknown }): ScreeningAction {
  if (a.redactedMessages) return 'redacted';
  if (a.forcePrivate) return 'private';
  return a.holdForReview ? 'review' : 'none';
}
