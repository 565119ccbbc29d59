// Runs every detector and turns their candidates into one clean, ordered,
// non-overlapping list of findings.
import { detectPaymentCards } from './cards';
import { detectIbans } from './iban';
import { detectCredentials } from './keys';
import { detectEmails, detectPhones, detectSsns } from './patterns';
import { detectHighEntropySecrets } from './secrets';
import type { Finding, SensitiveKind } from './types';

/**
 * When two candidates overlap, the more specific detector wins: a PEM block
 * beats the base64 lines inside it, a provider key beats the generic entropy
 * check, a mod-97-valid IBAN beats a Luhn-valid digit group inside it.
 */
const KIND_PRECEDENCE: readonly SensitiveKind[] = [
  'private_key',
  'api_key',
  'iban',
  'payment_card',
  'us_ssn',
  'email',
  'phone',
  'high_entropy_secret',
];

const byPrecedence = (a: Finding, b: Finding): number =>
  KIND_PRECEDENCE.indexOf(a.kind) - KIND_PRECEDENCE.indexOf(b.kind) || b.end - b.start - (a.end - a.start) || a.start - b.start;

/** Index of the first finding in `sorted` (disjoint, by start) starting after `start`. */
function insertionPoint(sorted: readonly Finding[], start: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid]?.start ?? 0) <= start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Greedy: accept candidates best-first, drop any that overlap an accepted one.
 * A dropped candidate that sticks out past the winner is rare (both detectors
 * would have to disagree on the boundaries of the same token) and the winner
 * still covers the sensitive core. Accepted findings stay sorted and disjoint,
 * so only the two neighbours of the insertion point can overlap a candidate.
 */
export function resolveOverlaps(candidates: readonly Finding[]): Finding[] {
  const accepted: Finding[] = [];
  for (const candidate of [...candidates].sort(byPrecedence)) {
    const at = insertionPoint(accepted, candidate.start);
    const before = accepted[at - 1];
    const after = accepted[at];
    if ((before && before.end > candidate.start) || (after && after.start < candidate.end)) continue;
    accepted.splice(at, 0, candidate);
  }
  return accepted;
}

export function detectSensitive(text: string): Finding[] {
  return resolveOverlaps([
    ...detectCredentials(text),
    ...detectIbans(text),
    ...detectPaymentCards(text),
    ...detectSsns(text),
    ...detectEmails(text),
    ...detectPhones(text),
    ...detectHighEntropySecrets(text),
  ]);
}
