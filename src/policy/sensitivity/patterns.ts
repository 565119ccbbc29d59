// Contact details and US SSNs: detectors that are pure pattern + range checks.
import { collect, countDigits, groupSpan, wholeMatch, type Span } from './scan';
import type { Finding } from './types';

// ---- email ---------------------------------------------------------------

// Practical RFC 5322 subset: dot-atom local part, dotted hostname, alphabetic
// TLD. The trailing lookahead rejects "git@github.com:org/repo" (scp-style SSH)
// and stops a match ending inside a longer hostname.
const EMAIL = /(?<![\w.%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})(?![\w-]|\.[A-Za-z0-9]|:[\w~/])/g;

// "logo@2x.png" and "icon@3x.svg" are asset names, not addresses.
const FILE_EXTENSION_TLDS: ReadonlySet<string> = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'ico', 'js', 'ts', 'css', 'html', 'json', 'txt', 'pdf', 'zip', 'yaml', 'yml']);

export function detectEmails(text: string): Finding[] {
  return collect('email', EMAIL, text, (m) => {
    const tld = (m[1] ?? '').toLowerCase();
    return FILE_EXTENSION_TLDS.has(tld) || m[0].includes('..') ? null : wholeMatch(m);
  });
}

// ---- phone ---------------------------------------------------------------

// International form: "+" and country code, then a compact digit string or
// separated groups ("+44 20 7946 0958", "+49 (0)151 2345678"). "00" instead of
// "+" is accepted only with separators: compact 00… strings are usually ids.
// E.164 caps a number at 15 digits.
const PHONE_GROUPS = String.raw`[1-9]\d{0,2}(?:[ .-]?\(\d{1,4}\)[ .-]?\d{1,8}|[ .-]\d{1,8}){1,7}`;
// A "00" group right after other digit groups is part of a longer number
// (an IBAN, a tracking number), not a dialling prefix.
const INTERNATIONAL_PHONE = new RegExp(String.raw`(?<![\w+)\]])(?:\+(?:\d{7,15}|${PHONE_GROUPS})|(?<!\d[ .-])00${PHONE_GROUPS})(?![\w]|[.-]\d)`, 'g');

// North American numbers need visible separators ("(415) 555-0123",
// "415-555-0123", "415.555.0123"); plain 10-digit integers are too ambiguous.
const NANP_PHONE = /(?<![\w+.-]|\d[ .-])(?:1[ .-])?(?:\([2-9]\d{2}\)[ ]?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-]\d{4}(?![\w]|[.-]\d)/g;

// Local formats ("06 12 34 56 78", "030 12345678", "555-0123") are only
// recognisable as phones when the sentence says so.
const CONTEXT_PHONE = /\b(?:phone|tel|telephone|mobile|cell|fax|whatsapp|sms|call(?: me| us)?|ring me|text me)\b[.:]?[^\S\n]*(?:(?:on|at|is|number|no\.?|nr\.?|#|:)[^\S\n]*){0,3}(\+?\(?\d[\d ().-]{4,20}\d)(?![\w]|[.-]\d)/gid;

const DATE_LIKE = /^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$/;

function phoneSpan(span: Span | null, value: string, minDigits: number): Span | null {
  const digits = countDigits(value);
  if (digits < minDigits || digits > 15 || DATE_LIKE.test(value)) return null;
  return span;
}

export function detectPhones(text: string): Finding[] {
  return [
    ...collect('phone', INTERNATIONAL_PHONE, text, (m) => phoneSpan(wholeMatch(m), m[0], m[0].startsWith('00') ? 10 : 8)),
    ...collect('phone', NANP_PHONE, text, (m) => wholeMatch(m)),
    ...collect('phone', CONTEXT_PHONE, text, (m) => phoneSpan(groupSpan(m, 1), m[1] ?? '', 7)),
  ];
}

// ---- US social security numbers -----------------------------------------

// SSA never issues area 000, 666 or 900-999, group 00 or serial 0000; those
// ranges are how "123-45-6789"-shaped ticket and part numbers get rejected.
export function isValidSsn(area: string, group: string, serial: string): boolean {
  return area !== '000' && area !== '666' && !area.startsWith('9') && group !== '00' && serial !== '0000';
}

const SSN_DASHED = /(?<![\w-]|\d )(\d{3})-(\d{2})-(\d{4})(?![\w]|-\w)/g;

// Space-separated or unseparated SSNs are only trusted right after "SSN".
const SSN_WITH_CONTEXT = /\b(?:ssn|social security(?: number| no\.?)?)\b[^\S\n]*(?:(?:is|#|:|no\.?)[^\S\n]*){0,2}((\d{3})( ?)(\d{2})\3(\d{4}))(?!\w)/gid;

export function detectSsns(text: string): Finding[] {
  return [
    ...collect('us_ssn', SSN_DASHED, text, (m) => (isValidSsn(m[1] ?? '', m[2] ?? '', m[3] ?? '') ? wholeMatch(m) : null)),
    ...collect('us_ssn', SSN_WITH_CONTEXT, text, (m) => (isValidSsn(m[2] ?? '', m[4] ?? '', m[5] ?? '') ? groupSpan(m, 1) : null)),
  ];
}
