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

/**
 * Greedy: accept candidates best-first, drop any that overlap an accepted one.
 * A dropped candidate that sticks out past the winner is rare (both detectors
 * would have to disagree on the boundaries of the same token) and the winner
 * still covers the sensitive core.
 */
export function resolveOverlaps(candidates: readonly Finding[]): Finding[] {
  const accepted: Finding[] = [];
  for (const candidate of [...candidates].sort(byPrecedence)) {
    if (!accepted.some((f) => candidate.start < f.end && f.start < candidate.end)) accepted.push(candidate);
  }
  return accepted.sort((a, b) => a.start - b.start);
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
