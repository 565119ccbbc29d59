/**
 * Canonical JSON: object keys sorted at every level, so equal data gives equal text whatever the
 * order it was written in (config audit hashes, the response cache's key). Pure and linear apart
 * from each object's key sort.
 */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (isRecord(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]])) : x)) ?? 'undefined';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
