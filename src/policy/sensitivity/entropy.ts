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
 * time at 20 chars and almost never when longer. `requireVowel` tightens the
 * chunk test for letters-only strings, where random runs like "AFSRZHZ" would
 * otherwise pass as words.
 */
export function wordLikeFraction(s: string, requireVowel = false): number {
  const alnum = s.replace(/[^A-Za-z0-9]/g, '');
  if (alnum.length === 0) return 0;
  const chunks = s.match(/[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+/g) ?? [];
  const isAcronym = (c: string): boolean => /^[A-Z]{3,5}$/.test(c); // "GDPR", "HTTP"
  const wordLike = chunks.filter((c) => c.length >= 3 && /^[A-Za-z]+$/.test(c) && (!requireVowel || isAcronym(c) || /[aeiouy]/i.test(c)));
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

/** Path segments that read as words, numbers or ids: "uploads", "2021", "key.pem", a UUID. */
export function readablePathSegments(value: string): number {
  return value.split(/[/\\]/).filter((seg) => seg.length >= 3 && (isPlainWords(seg) || /^\d+$/.test(seg) || isUuid(seg))).length;
}

/**
 * Filesystem paths ("/Users/me", "./certs/key.pem", "C:\\keys") name where a
 * secret lives. The readable-segment test keeps base64 values that happen to
 * start with "/" from passing as paths.
 */
export function isPathLike(value: string): boolean {
  return /^(?:~?\/|\.{1,2}\/|[A-Za-z]:\\)/.test(value) && readablePathSegments(value) >= 1;
}

/**
 * Letters-only words, slugs and identifiers: "required", "prod-db-credentials",
 * "getToken". Letters-only random strings ("dutsHCenTUhJvB") are not words:
 * their case changes break them into short chunks.
 */
export function isPlainWords(value: string): boolean {
  const core = value.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, ''); // "**GDPR COMPLIANT**"
  return /^[A-Za-z]+(?:[-_. ][A-Za-z]+)*$/.test(core) && wordLikeFraction(core, true) >= 0.8;
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Decodes base64/base64url to text when every byte is printable ASCII, else
 * null. Random key material decodes to arbitrary bytes, so a non-null result
 * means "this is encoded text". Hand-rolled because atob/Buffer are not
 * guaranteed inside the workflow sandbox.
 */
export function decodeBase64Text(token: string): string | null {
  const body = token.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]+$/.test(body) || body.length % 4 === 1) return null;
  let out = '';
  let buffer = 0;
  let bufferedBits = 0;
  for (const ch of body) {
    buffer = (buffer << 6) | BASE64_ALPHABET.indexOf(ch);
    bufferedBits += 6;
    if (bufferedBits < 8) continue;
    bufferedBits -= 8;
    const byte = (buffer >> bufferedBits) & 0xff;
    buffer &= (1 << bufferedBits) - 1;
    if (byte < 0x20 || byte > 0x7e) return null;
    out += String.fromCharCode(byte);
  }
  return out;
}

/** Encoded prose ("SGVsbG8sIHdvcmxkIQ==" → "Hello, world!") rather than a secret. */
export function decodesToReadableText(token: string): boolean {
  return decodeBase64Text(token)?.includes(' ') ?? false;
}
