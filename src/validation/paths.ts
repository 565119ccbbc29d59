import { detectSensitive } from '../policy/sensitivity';

/**
 * JSON paths for validation messages. Path segments are object keys taken from the answer, so a key
 * could itself be a secret (`{"sk-proj-…": 1}`): segments that are long, unusual or detected as
 * sensitive are masked.
 */

const PLAIN_SEGMENT = /^[A-Za-z0-9_.$-]{1,40}$/;
const MASKED_SEGMENT = '<key>';

export function describePathSegments(segments: readonly PropertyKey[]): string {
  if (segments.length === 0) return '(root)';
  return segments.map((s) => '/' + safeSegment(String(s))).join('');
}

/** Ajv's instancePath is a JSON Pointer ("/a/0/b", with ~0 and ~1 escapes). */
export function describeJsonPath(pointer: string): string {
  if (pointer === '') return '(root)';
  const segments = pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  return describePathSegments(segments);
}

function safeSegment(segment: string): string {
  if (!PLAIN_SEGMENT.test(segment)) return MASKED_SEGMENT;
  return detectSensitive(segment).length > 0 ? MASKED_SEGMENT : segment;
}
