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
 * still covers the sensitive core. Spans are compressed to the elementary
 * segments between candidate endpoints; a Fenwick tree counts the segments
 * accepted findings cover, so "overlaps anything accepted?" is two prefix sums.
 * O(k log k) in the number of candidates: inserting into a sorted array was
 * quadratic (160k findings, 3 s). Empty spans are dropped (nothing to redact).
 */
export function resolveOverlaps(candidates: readonly Finding[]): Finding[] {
  const spans = candidates.filter((c) => c.end > c.start);
  const coords = endpoints(spans);
  const covered = new SegmentCounts(coords.length);
  const accepted: Finding[] = [];
  for (const candidate of spans.sort(byPrecedence)) {
    const from = indexOf(coords, candidate.start);
    const to = indexOf(coords, candidate.end);
    if (covered.countBefore(to) - covered.countBefore(from) > 0) continue;
    for (let i = from; i < to; i++) covered.mark(i);
    accepted.push(candidate);
  }
  return accepted.sort((a, b) => a.start - b.start);
}

/** Every start and end, sorted, without repeats. */
function endpoints(spans: readonly Finding[]): Float64Array {
  const all = new Float64Array(spans.length * 2);
  spans.forEach((c, i) => {
    all[2 * i] = c.start;
    all[2 * i + 1] = c.end;
  });
  all.sort();
  let n = 0;
  for (let i = 0; i < all.length; i++) if (n === 0 || all[i] !== all[n - 1]) all[n++] = all[i]!;
  return all.subarray(0, n);
}

/** Index of `value` in the sorted `coords` (it is there by construction). */
function indexOf(coords: Float64Array, value: number): number {
  let lo = 0;
  let hi = coords.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (coords[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Fenwick tree over segment indexes: mark one, count the marked below an index. */
class SegmentCounts {
  private readonly tree: Int32Array;
  constructor(size: number) {
    this.tree = new Int32Array(size + 1);
  }
  mark(i: number): void {
    for (let j = i + 1; j < this.tree.length; j += j & -j) this.tree[j]! += 1;
  }
  countBefore(i: number): number {
    let n = 0;
    for (let j = i; j > 0; j -= j & -j) n += this.tree[j]!;
    return n;
  }
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
