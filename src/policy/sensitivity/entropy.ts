// Measures for telling random secrets from ordinary text, identifiers and
// placeholders. Used by the generic secret detector (secrets.ts) and by the
// bearer-token check in keys.ts.

/** Shannon entropy in bits per character. Random base62 of length n approaches log2(n). */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / s.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

type CharClass = 'lower' | 'upper' | 'digit' | 'other';

function classOf(ch: string): CharClass {
  if (ch >= 'a' && ch <= 'z') return 'lower';
  if (ch >= 'A' && ch <= 'Z') return 'upper';
  if (ch >= '0' && ch <= '9') return 'digit';
  return 'other';
}

export function charClassCount(s: string): number {
  const seen = new Set<CharClass>();
  for (const ch of s) if (classOf(ch) !== 'other') seen.add(classOf(ch));
  return seen.size;
}

export function hasUpperLowerDigit(s: string): boolean {
  return /[a-z]/.test(s) && /[A-Z]/.test(s) && /\d/.test(s);
}

/**
 * Fraction of adjacent alphanumeric pairs that change class (a→B, B→7…).
 * Random base62 switches ~60% of the time; camelCase identifiers, slugs and
 * model names ("handleOAuth2Callback", "gpt-4o-mini-2024-07-18") switch
 * rarely, which is what separates them from secrets of similar entropy.
 */
export function classSwitchRatio(s: string): number {
  const alnum = s.replace(/[^A-Za-z0-9]/g, '');
  if (alnum.length < 2) return 0;
  let switches = 0;
  for (let i = 1; i < alnum.length; i++) if (classOf(alnum.charAt(i)) !== classOf(alnum.charAt(i - 1))) switches++;
  return switches / (alnum.length - 1);
}

/**
 * Entropy a random base62 token of this length comfortably exceeds. Short
 * strings cannot reach high per-char entropy, so the bar scales with log2(n)
 * and is capped where long random tokens reliably land.
 */
export function entropyThreshold(length: number): number {
  return Math.min(4.3, 0.85 * Math.log2(length));
}

/**
 * Share of alphanumerics that sit in word-like chunks: letter runs of 3+,
 * split at case changes ("Nfsv", "Compound", "Proc", "Ctx"). Identifiers and
 * hostnames score ~0.85-0.95; random base62 reaches 0.8 only ~1-2% of the
 * time at 20 chars and almost never when longer.
 */
export function wordLikeFraction(s: string): number {
  const alnum = s.replace(/[^A-Za-z0-9]/g, '');
  if (alnum.length === 0) return 0;
  const chunks = s.match(/[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+/g) ?? [];
  const wordLike = chunks.filter((c) => c.length >= 3 && /^[A-Za-z]+$/.test(c));
  return wordLike.reduce((n, c) => n + c.length, 0) / alnum.length;
}

export function isHexOnly(s: string): boolean {
  return /^[0-9a-fA-F]+$/.test(s);
}

export function isUuid(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
}

/** Values that stand in for a secret in docs and templates. */
export function isPlaceholder(value: string): boolean {
  return (
    /^(?:<[^>]*>|\[[^\]]*\]|\{\{.*\}\}|\$\{?[A-Za-z_]\w*\}?|%[A-Za-z_]\w*%|\*+|[xX•.…]+)$/.test(value) ||
    /(?:^|[_-])(?:your|my|here|placeholder|redacted|changeme)(?:[_-]|$)/i.test(value) ||
    // An env var *name* ("OPENAI_API_KEY") references a secret, it is not one.
    /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/.test(value) ||
    new Set(value).size <= 2
  );
}

/**
 * Code that reads a secret from somewhere: process.env.X, config.get('x'),
 * getToken(). A dotted path only counts when it reads like words, so dotted
 * tokens such as Google's "ya29.a0AfH6…" are still treated as values.
 */
export function isCodeReference(value: string): boolean {
  if (/[()[\]<>{}]/.test(value)) return true;
  return /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+!?$/.test(value) && wordLikeFraction(value) >= 0.5;
}

/** Filesystem paths ("/Users/me", "./certs", "C:\\keys") name where a secret lives. */
export function isPathLike(value: string): boolean {
  return /^(?:~?\/|\.{1,2}\/|[A-Za-z]:\\)/.test(value);
}

/** Letters-only words, slugs and identifiers: "required", "prod-db-credentials", "getToken". */
export function isPlainWords(value: string): boolean {
  const core = value.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, ''); // "**GDPR COMPLIANT**"
  return /^[A-Za-z]+(?:[-_. ][A-Za-z]+)*$/.test(core);
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * True when a base64 token decodes to printable text containing a space, i.e.
 * it is encoded prose ("SGVsbG8sIHdvcmxkIQ==") rather than random key
 * material, which decodes to arbitrary bytes. Hand-rolled because atob/Buffer
 * are not guaranteed inside the workflow sandbox.
 */
export function decodesToReadableText(token: string): boolean {
  const body = token.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]+$/.test(body) || body.length % 4 === 1) return false;
  let buffer = 0;
  let bufferedBits = 0;
  let spaces = 0;
  for (const ch of body) {
    buffer = (buffer << 6) | BASE64_ALPHABET.indexOf(ch);
    bufferedBits += 6;
    if (bufferedBits < 8) continue;
    bufferedBits -= 8;
    const byte = (buffer >> bufferedBits) & 0xff;
    buffer &= (1 << bufferedBits) - 1;
    if (byte === 0x20) spaces++;
    else if (byte < 0x20 || byte > 0x7e) return false;
  }
  return spaces > 0;
}
