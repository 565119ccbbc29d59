// Replaces each finding's span with a marker naming only the kind.
import type { Finding } from './types';

export function redactionMarker(kind: Finding['kind']): string {
  return `[REDACTED:${kind}]`;
}

/**
 * Findings from detectSensitive are already sorted and disjoint. Hand-built
 * lists may overlap: an overlapping finding is absorbed into the previous
 * marker (its tail is still removed) so no sensitive character leaks through.
 */
export function redact(text: string, findings: readonly Finding[]): string {
  const ordered = [...findings].sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let cursor = 0;
  for (const finding of ordered) {
    const start = Math.max(0, finding.start);
    const end = Math.min(text.length, finding.end);
    if (end <= start || end <= cursor) continue;
    if (start < cursor) {
      cursor = end;
      continue;
    }
    out += text.slice(cursor, start) + redactionMarker(finding.kind);
    cursor = end;
  }
  return out + text.slice(cursor);
}
