import type { CompareMethod } from '../config/release';

/**
 * Pure: how far two answers to the same request agree, 0 (nothing in common) … 1 (the same).
 *
 * - `exact`: 1 when equal after trimming, lower-casing and collapsing whitespace (and a trailing
 *   period), else 0. For classification and extraction, where "almost the same label" is wrong.
 * - `text`: token-set Jaccard similarity, |A ∩ B| / |A ∪ B| over the sets of lower-cased words
 *   (letters and digits). Order-insensitive and cheap; it measures shared vocabulary, not meaning.
 * - `json`: share of JSON leaf fields (by path) present in either answer whose values are equal.
 *   An answer that is not JSON agrees with nothing (0).
 * - `auto`: `json` when both answers parse as JSON objects or arrays (code fences allowed), else `text`.
 */
export interface Agreement {
  score: number;
  method: Exclude<CompareMethod, 'auto'>;
}

export function agreement(a: string, b: string, method: CompareMethod = 'auto'): Agreement {
  if (method === 'exact') return { score: normalize(a) === normalize(b) ? 1 : 0, method };
  if (method === 'text') return { score: jaccard(words(a), words(b)), method };
  const ja = parseJson(a);
  const jb = parseJson(b);
  if (method === 'json') return { score: ja === undefined || jb === undefined ? 0 : jsonAgreement(ja, jb), method };
  if (ja !== undefined && jb !== undefined) return { score: jsonAgreement(ja, jb), method: 'json' };
  return { score: jaccard(words(a), words(b)), method: 'text' };
}

function normalize(s: string): string {
  return s.trim().toLowerCase().replace(/\s+/g, ' ').replace(/\.$/, '');
}

function words(s: string): Set<string> {
  return new Set(s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
}

function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const w of a) if (b.has(w)) shared++;
  return shared / (a.size + b.size - shared);
}

/** A JSON object or array (```json fences stripped), else undefined. Scalars count as text. */
function parseJson(s: string): unknown {
  const body = s.trim().replace(/^```(?:json)?\s*\n?/i, '').replace(/\n?```$/, '').trim();
  if (!body.startsWith('{') && !body.startsWith('[')) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function jsonAgreement(a: unknown, b: unknown): number {
  const fa = leaves(a);
  const fb = leaves(b);
  const paths = new Set([...fa.keys(), ...fb.keys()]);
  if (paths.size === 0) return 1;
  let same = 0;
  for (const p of paths) if (fa.has(p) && fb.has(p) && fa.get(p) === fb.get(p)) same++;
  return same / paths.size;
}

/** path → JSON of the leaf value; empty objects and arrays are leaves too. */
function leaves(v: unknown, path = '$', out = new Map<string, string>()): Map<string, string> {
  const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : v && typeof v === 'object' ? Object.entries(v) : undefined;
  if (!entries || entries.length === 0) {
    out.set(path, JSON.stringify(v));
    return out;
  }
  for (const [k, x] of entries) leaves(x, `${path}.${k}`, out);
  return out;
}
