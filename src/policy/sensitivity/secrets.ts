// Generic secrets with no provider-specific shape. Three tiers, from most to
// least context:
//   1. assignment — "password=…", "client_secret": "…", "secret is …", URL
//      credentials. The key name says it is a secret, so the value only has to
//      be non-trivial (passwords are often short and low-entropy).
//   2. near a secret word — a 16+ char token within a few words after
//      "token", "key", "secret"…: must look random; hex digests count only
//      after the strong words (not after "key": "GPG key: <fingerprint>").
//   3. bare — no context at all: 24+ chars, mixed-case + digits, high entropy,
//      frequent character-class switches, few word-like chunks.
//   Unquoted values that read as identifiers or paths are code, not secrets.
// Deliberate non-findings (documented decisions):
//   - UUIDs are identifiers; flagged only when assigned to a secret name.
//   - Hex strings without secret context are hashes/commit SHAs/trace ids.
//   - Tokens after hash/id words (sha256, commit, integrity, trace id, ssh-ed25519…)
//     and tokens shaped like prefixed ids ("chatcmpl-…", "cus_…").
//   - URLs (paths and non-secret query params), data: URIs, public keys and
//     certificates.
// Known misses, accepted for precision: values made only of dictionary-like
// words ("correct horse battery staple", "ChangeMe"), unquoted camelCase
// values, and letters-only random strings that happen to chunk like words.
import {
  charClassCount, classSwitchRatio, decodesToReadableText, entropyThreshold, hasUpperLowerDigit, isCodeReference, isHexOnly, isPlaceholder,
  isPathLike, isPlainWords, isUuid, readablePathSegments, shannonEntropy, wordLikeFraction,
} from './entropy';
import { collect, groupSpan, regionIndex, type Span } from './scan';
import type { Finding } from './types';

const SECRET_NAME =
  '(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|(?:access|auth|private|secret|signing|encryption|master|session|client)[_-]?key|credentials?|client[_-]?secret)';

// name ["']? (: | = | := | => | is) ["'`]? value. Quoted values may contain
// spaces and punctuation; bare values stop at whitespace, delimiters and
// backslashes (so "\r\n" escapes in code end the value). The
// name prefix is bounded so long dotted/dashed runs cannot go quadratic.
const SECRET_ASSIGNMENT = new RegExp(
  `(?<![A-Za-z0-9])[A-Za-z0-9_.-]{0,64}?${SECRET_NAME}["']?[^\\S\\n]*(?::=|=>|[:=]|\\bis\\b)[^\\S\\n]*(?:(["'\`])([^"'\`\\n]{1,256})\\1|([^\\s"'\`,;\\\\]{1,256}))`,
  'gid',
);

// scheme://user:password@host
const URL_CREDENTIALS = /\b[a-z][a-z0-9+.-]{0,31}:\/\/[^\s:@/]+:([^\s@/]{1,256})@/gid;

// Same threshold as the token tiers below: above it, a symbol-free value with
// camel/Pascal case reads as an identifier ("Uint8Array",
// "OpeningBracketToken$1"), not a literal.
const MAX_WORD_LIKE = 0.8;

/**
 * `quoted` values are string literals. Unquoted ones may be code: "taskToken:
 * Uint8Array" is a type annotation, "token is OpeningBracketToken" a type guard.
 */
export function isPlausibleAssignedSecret(raw: string, quoted: boolean): boolean {
  const value = raw.replace(/\.$/, ''); // sentence-final period after "password is …"
  if (value.length < 8 || isPlaceholder(value) || isCodeReference(value) || isPlainWords(value) || isPathLike(value)) return false;
  if (/^\d+$/.test(value)) return false; // counts, ids, ports, timeouts
  if (value.includes('://')) return false; // a URL; embedded credentials are URL_CREDENTIALS' job
  if (!quoted && /^[\w$]+$/.test(value) && /[A-Z]/.test(value) && wordLikeFraction(value) >= MAX_WORD_LIKE) return false;
  return shannonEntropy(value) >= 2.5;
}

function assignedSecretSpan(m: RegExpMatchArray): Span | null {
  const group = m[2] !== undefined ? 2 : 3;
  const value = m[group] ?? '';
  const span = groupSpan(m, group);
  if (!span || !isPlausibleAssignedSecret(value, group === 2)) return null;
  return value.endsWith('.') && group === 3 ? { start: span.start, end: span.end - 1 } : span;
}

// ---- tokens without an assignment ------------------------------------------

const TOKEN = /(?<![\w+/=-])[A-Za-z0-9+/_-]{16,}={0,2}(?![\w+/=-])/g;

// "key" and "auth" are weak: "GPG key: <40 hex>" is a public fingerprint, so
// hex digests only count after the strong words.
const STRONG_SECRET_WORD = /\b(?:pass(?:word|wd|phrase)?|pwd|secrets?|tokens?|api[ _-]?keys?|apikey|(?:access|private|secret|signing)[ _-]keys?|credentials?|bearer)\b/gi;
const WEAK_SECRET_WORD = /\b(?:keys?|auth)\b/gi;
// Words after which a random-looking token is a hash or an identifier. "h1:"
// marks go.sum hashes; "<kind> key" phrases name lookup keys, not secrets.
const IDENTIFIER_WORD =
  /\b(?:sha\d*|md5|h1|hash(?:es)?|checksum|digest|commit|revision|rev|integrity|fingerprint|etag|ids?|uuid|trace|span|cherry-pick|event|ssh-(?:rsa|ed25519|dss)|ecdsa-[\w-]+|(?:object|cache|primary|foreign|partition|sort|row|idempotency|public|host|gpg|pgp)[ _-]keys?)\b/gi;
const CONTEXT_WINDOW = 48;

type TokenContext = 'strong-secret' | 'weak-secret' | 'identifier' | 'none';

/**
 * Which kind of word ends closest before the token, on the same line. Ends
 * are compared so "object key" (identifier) beats the "key" inside it; on a
 * tie the identifier reading wins.
 */
function contextBefore(text: string, start: number): TokenContext {
  const before = text.slice(Math.max(0, start - CONTEXT_WINDOW), start);
  const window = before.slice(before.lastIndexOf('\n') + 1);
  const lastEnd = (re: RegExp): number => Math.max(-1, ...[...window.matchAll(re)].map((m) => (m.index ?? 0) + m[0].length));
  const positions: Array<[TokenContext, number]> = [
    ['identifier', lastEnd(IDENTIFIER_WORD)],
    ['strong-secret', lastEnd(STRONG_SECRET_WORD)],
    ['weak-secret', lastEnd(WEAK_SECRET_WORD)],
  ];
  const [nearest, at] = positions.reduce((best, p) => (p[1] > best[1] ? p : best));
  return at < 0 ? 'none' : nearest;
}

/** "chatcmpl-…", "cus_…", "sha512-…": a lowercase type prefix marks an id. */
const PREFIXED_ID = /^[a-z]{2,12}\d{0,3}[_-]/;

function looksLikeSecretNearKeyword(token: string, allowHex: boolean): boolean {
  if (isUuid(token) || isPlainWords(token)) return false;
  if (isHexOnly(token)) return allowHex && token.length >= 32;
  return (
    charClassCount(token) >= 2 && shannonEntropy(token) >= 3.3 && classSwitchRatio(token) >= 0.3 && wordLikeFraction(token) < MAX_WORD_LIKE
  );
}

// Without context, very long base64 runs are embedded assets (WASM, fonts,
// images), not credentials, which are rarely longer than a few hundred chars.
const MAX_BARE_SECRET_LENGTH = 512;

// With no context at all we ask for more: a longer token and fewer word-like
// chunks, so identifiers like "CipherChaCha20Poly1305" stay unflagged. Costs a
// few percent recall on random 24-char tokens; context tiers cover the rest.
const MIN_BARE_SECRET_LENGTH = 24;
const MAX_WORD_LIKE_BARE = 0.7;

function looksLikeBareSecret(token: string): boolean {
  if (token.length < MIN_BARE_SECRET_LENGTH || token.length > MAX_BARE_SECRET_LENGTH) return false;
  if (PREFIXED_ID.test(token) || !hasUpperLowerDigit(token) || decodesToReadableText(token)) return false;
  return (
    shannonEntropy(token) >= entropyThreshold(token.length) && classSwitchRatio(token) >= 0.4 && wordLikeFraction(token) < MAX_WORD_LIKE_BARE
  );
}

// Regions whose high-entropy content is public by design.
const NON_SECRET_REGIONS = [
  /\b[a-z][a-z0-9+.-]{0,31}:\/\/[^\s<>"'`]+/gi, // URLs (secret query params are caught as assignments)
  /\bdata:[\w/+.-]+;base64,[A-Za-z0-9+/=]+/g,
  /-----BEGIN (?:[A-Z0-9]+ )*(?:PUBLIC KEY|CERTIFICATE(?: REQUEST)?)-----[^-]*-----END [A-Z0-9 ]+-----/g, // base64 bodies have no '-'
];

function nonSecretRegions(text: string): Span[] {
  return NON_SECRET_REGIONS.flatMap((re) => [...text.matchAll(re)].map((m) => ({ start: m.index ?? 0, end: (m.index ?? 0) + m[0].length })));
}

function detectUnassignedTokens(text: string): Finding[] {
  const isExcluded = regionIndex(nonSecretRegions(text));
  return collect('high_entropy_secret', TOKEN, text, (m) => {
    const span = { start: m.index ?? 0, end: (m.index ?? 0) + m[0].length };
    // "uploads/2021/<uuid>/report-v8": 2+ readable segments make it a path.
    if (isExcluded(span) || readablePathSegments(m[0]) >= 2) return null;
    const context = contextBefore(text, span.start);
    if (context === 'identifier') return null;
    const isSecret = context === 'none' ? looksLikeBareSecret(m[0]) : looksLikeSecretNearKeyword(m[0], context === 'strong-secret');
    return isSecret ? span : null;
  });
}

export function detectHighEntropySecrets(text: string): Finding[] {
  return [
    ...collect('high_entropy_secret', SECRET_ASSIGNMENT, text, assignedSecretSpan),
    ...collect('high_entropy_secret', URL_CREDENTIALS, text, (m) => (isPlausibleAssignedSecret(m[1] ?? '', true) ? groupSpan(m, 1) : null)),
    ...detectUnassignedTokens(text),
  ];
}
