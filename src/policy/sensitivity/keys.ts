// Credentials with a recognisable shape: provider API keys, JWTs, bearer
// tokens and PEM private keys. These are precise, so they win over the
// generic high-entropy detector when spans overlap.
import { decodeBase64Text, isPlaceholder } from './entropy';
import { collect, groupSpan, wholeMatch, type Span } from './scan';
import type { Finding } from './types';

interface ProviderKeyPattern {
  pattern: RegExp;
  /** Length of the fixed prefix; the remainder must look random. */
  prefixLength: (match: string) => number;
  /** Base32 AWS ids can be letters-only; everything else mixes classes. */
  minClasses?: number;
}

const fixed = (n: number) => (): number => n;
const upToLastSeparator = (match: string): number => Math.max(match.lastIndexOf('_', 16), match.lastIndexOf('-', 16)) + 1;

const PROVIDER_KEYS: readonly ProviderKeyPattern[] = [
  // Anthropic sk-ant-api03-…, OpenAI sk-…, sk-proj-…, sk-svcacct-…
  { pattern: /\bsk-(?:ant-(?:api|admin)\d{2}-|proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g, prefixLength: upToLastSeparator },
  // AWS access key ids (long-term AKIA, temporary ASIA).
  { pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g, prefixLength: fixed(4), minClasses: 1 },
  // GitHub classic and fine-grained tokens.
  { pattern: /\bgh[pousr]_[A-Za-z0-9]{30,255}\b/g, prefixLength: fixed(4) },
  { pattern: /\bgithub_pat_[A-Za-z0-9_]{22,255}\b/g, prefixLength: fixed(11) },
  // Slack bot/user/app tokens.
  { pattern: /\bxox[baprs]-[A-Za-z0-9-]{10,250}/g, prefixLength: fixed(5) },
  // Stripe secret and restricted keys (test-mode keys still grant API access).
  { pattern: /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,247}\b/g, prefixLength: fixed(8) },
  // Google API keys.
  { pattern: /\bAIza[0-9A-Za-z_-]{35}(?![\w-])/g, prefixLength: fixed(4) },
  // JWTs: base64url JSON header and payload both start with "eyJ" ('{"').
  { pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, prefixLength: fixed(0) },
];

/**
 * Real keys are random; docs placeholders ("sk-xxxxxxxxxxxxxxxxxxxxxxxx",
 * "sk-YOUR_OPENAI_KEY_GOES_HERE") are not. Two character classes and some
 * variety is enough to tell them apart.
 */
export function looksRandom(body: string, minClasses = 2): boolean {
  const classes = [/[a-z]/, /[A-Z]/, /\d/].filter((re) => re.test(body)).length;
  return classes >= minClasses && new Set(body).size >= 8 && !/^[A-Z0-9]+(?:_[A-Z0-9]+)+$/.test(body);
}

function detectProviderKeys(text: string): Finding[] {
  return PROVIDER_KEYS.flatMap(({ pattern, prefixLength, minClasses }) =>
    collect('api_key', pattern, text, (m) => (looksRandom(m[0].slice(prefixLength(m[0])), minClasses) ? wholeMatch(m) : null)),
  );
}

// "aws_secret_access_key = …" in credentials files and env vars. Only the
// value is redacted so the reader still sees which setting it was.
const AWS_SECRET_ASSIGNMENT = /\baws_?secret_?access_?key\b["']?[^\S\n]*[:=][^\S\n]*["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gid;

// "Authorization: Bearer <token>" — whatever the token format.
const BEARER_TOKEN = /\bBearer[^\S\n]+([A-Za-z0-9._~+/-]{16,}=*)/gid;
// "Authorization: Basic base64(user:password)" — a credential once decoded.
const BASIC_AUTH = /\bBasic[^\S\n]+([A-Za-z0-9+/]{8,}={0,2})(?![\w+/=])/gid;

function detectAssignedKeys(text: string): Finding[] {
  return [
    ...collect('api_key', AWS_SECRET_ASSIGNMENT, text, (m) => groupSpan(m, 1)),
    ...collect('api_key', BEARER_TOKEN, text, (m) => {
      const token = m[1] ?? '';
      return !isPlaceholder(token) && looksRandom(token) ? groupSpan(m, 1) : null;
    }),
    ...collect('api_key', BASIC_AUTH, text, (m) => (decodeBase64Text(m[1] ?? '')?.includes(':') ? groupSpan(m, 1) : null)),
  ];
}

// ---- PEM private keys ------------------------------------------------------

const PRIVATE_KEY_BEGIN = /-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----/g;
// Body lines of a truncated paste: whole lines of base64 or "Proc-Type: …"
// style headers, separated by newlines, JSON "\n" escapes or (flattened) spaces. Stops at
// the first line that is anything else, so trailing prose is not swallowed.
const PEM_BODY_LINES = /^(?:(?:\r?\n|\\n| )(?:[A-Za-z0-9+/=]{1,128}|[A-Za-z-]{1,32}: [^\n\\]{0,128})(?=\r?\n|\\n|["'\s]|$))*/;
const MIN_BODY_CHARS = 40;

/**
 * Whole block as one span; a paste missing its END line runs to the end of
 * its base64 lines. Base64 never contains "-----", so the next dash run after
 * the header is either our END line or where the block was cut off — looking
 * only that far keeps many unterminated BEGIN lines linear.
 */
function privateKeySpan(text: string, m: RegExpMatchArray): Span | null {
  const start = m.index ?? 0;
  const bodyStart = start + m[0].length;
  const endMarker = `-----END ${m[1] ?? ''}-----`;
  const nextDashes = text.indexOf('-----', bodyStart);
  if (nextDashes >= 0 && text.startsWith(endMarker, nextDashes)) return { start, end: nextDashes + endMarker.length };
  const body = PEM_BODY_LINES.exec(text.slice(bodyStart, nextDashes < 0 ? text.length : nextDashes))?.[0] ?? '';
  return body.replace(/\s|\\n/g, '').length >= MIN_BODY_CHARS ? { start, end: bodyStart + body.length } : null;
}

// A PEM private key that was itself base64-encoded, as in kubeconfig
// "client-key-data:" and Kubernetes Secret manifests. "LS0tLS1CRUdJTi" is
// "-----BEGIN"; the alternation is "PRIVATE KEY-" at each of the three
// possible base64 alignments.
const BASE64_PEM_PRIVATE_KEY = /\bLS0tLS1CRUdJTi[A-Za-z0-9+/]{0,40}?(?:UFJJVkFURSBLRVkt|BSSVZBVEUgS0VZL|QUklWQVRFIEtFWS0)[A-Za-z0-9+/]*={0,2}/g;

function detectPrivateKeys(text: string): Finding[] {
  return [
    ...collect('private_key', PRIVATE_KEY_BEGIN, text, (m) => privateKeySpan(text, m)),
    ...collect('private_key', BASE64_PEM_PRIVATE_KEY, text, wholeMatch),
  ];
}

export function detectCredentials(text: string): Finding[] {
  return [...detectPrivateKeys(text), ...detectProviderKeys(text), ...detectAssignedKeys(text)];
}
