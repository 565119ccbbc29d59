import type { ChatMessage } from '../config/api';
import type { DataClass } from '../config/routing';
import type { RouteConfig } from '../config/schema';
import { policyDenied } from '../errors';
import { detectInMessage, redactMessage } from './messageText';
import { DATA_CLASS_ORDER, classifyFindings, maxClass, summarizeKinds, type Finding, type SensitiveKind } from './sensitivity';

export interface Screening {
  /** The prompt's class as the provider will see it (after redaction, if any). */
  dataClass: DataClass;
  /** Kinds found in the prompt as sent by the caller (never the values). */
  kinds: SensitiveKind[];
  action: 'none' | 'redacted' | 'private' | 'review';
  /** Only when redacted: the messages with every finding replaced by `[REDACTED:<kind>]`. */
  messages?: ChatMessage[];
}

/** The floor: a prompt with nothing sensitive is still internal company data. */
const BASELINE: DataClass = 'internal';

/**
 * Pure: detect sensitive data in the prompt and apply the route's action when the class reaches
 * `minClass`: block (403 naming the kinds), redact, force a private model, or hold for review.
 */
export function screenPrompt(messages: readonly ChatMessage[], policy: RouteConfig['sensitivity']): Screening {
  return screenFindings(messages, messages.map(detectInMessage), policy);
}

/** The same decision on findings already detected (admission detects off the event loop: src/admission). */
export function screenFindings(messages: readonly ChatMessage[], perMessage: readonly Finding[][], policy: RouteConfig['sensitivity']): Screening {
  const all = perMessage.flat();
  const detected = maxClass(BASELINE, classifyFindings(all));
  const kinds = summarizeKinds(all);
  if (all.length === 0 || !atLeast(detected, policy.minClass) || policy.action === 'allow') {
    return { dataClass: detected, kinds, action: 'none' };
  }
  switch (policy.action) {
    case 'block':
      throw policyDenied('sensitive_data_blocked', `The prompt contains sensitive data (${kinds.join(', ')}); this route does not accept it`);
    case 'redact':
      return { dataClass: BASELINE, kinds, action: 'redacted', messages: redactMessages(messages, perMessage) };
    case 'private':
      return { dataClass: detected, kinds, action: 'private' };
    case 'review':
      return { dataClass: detected, kinds, action: 'review' };
  }
}

/** What screening did with a request that had sensitive data: its `action`, or `blocked` (refused). */
export type ScreeningAction = Screening['action'] | 'blocked';

/** The action read back off an admission (metrics and the ledger label detections by it). */
export { screeningActionOf } from './screeningAction';

function redactMessages(messages: readonly ChatMessage[], findings: readonly Finding[][]): ChatMessage[] {
  return messages.map((m, i) => redactMessage(m, findings[i] ?? []));
}

export function atLeast(a: DataClass, b: DataClass): boolean {
  return DATA_CLASS_ORDER.indexOf(a) >= DATA_CLASS_ORDER.indexOf(b);
}
