// Small helpers shared by the detectors. Everything here is pure and
// deterministic so it can run inside Temporal workflow code.
import type { Finding, SensitiveKind } from './types';

export interface Span {
  start: number;
  end: number;
}

/**
 * Runs a global regex over text and keeps the spans `toSpan` returns.
 * matchAll clones the regex, so module-level patterns never leak lastIndex
 * state between calls.
 */
export function collect(kind: SensitiveKind, pattern: RegExp, text: string, toSpan: (m: RegExpMatchArray) => Span | null): Finding[] {
  const findings: Finding[] = [];
  for (const match of text.matchAll(pattern)) {
    const span = toSpan(match);
    if (span && span.end > span.start) findings.push({ kind, start: span.start, end: span.end });
  }
  return findings;
}

/** Span of the whole match. */
export function wholeMatch(m: RegExpMatchArray): Span {
  const start = m.index ?? 0;
  return { start, end: start + m[0].length };
}

/** Span of capture group `group`; the pattern must use the `d` flag. */
export function groupSpan(m: RegExpMatchArray, group: number): Span | null {
  const range = m.indices?.[group];
  return range ? { start: range[0], end: range[1] } : null;
}

export function countDigits(s: string): number {
  let n = 0;
  for (const ch of s) if (ch >= '0' && ch <= '9') n++;
  return n;
}

export function onlyDigits(s: string): string {
  return s.replace(/\D/g, '');
}

/**
 * Builds an overlap test over many regions: regions are merged and sorted
 * once, then each query is a binary search, so texts with thousands of URLs
 * and tokens stay O(n log n).
 */
export function regionIndex(regions: readonly Span[]): (span: Span) => boolean {
  const merged: Span[] = [];
  for (const r of [...regions].sort((a, b) => a.start - b.start)) {
    const last = merged[merged.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else merged.push({ ...r });
  }
  return (span) => {
    let lo = 0;
    let hi = merged.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((merged[mid]?.end ?? 0) <= span.start) lo = mid + 1;
      else hi = mid;
    }
    const candidate = merged[lo]; // first region ending after span.start
    return candidate !== undefined && candidate.start < span.end;
  };
}
