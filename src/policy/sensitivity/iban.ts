// IBANs: country code + 2 check digits + BBAN. We trust an IBAN only when its
// length matches the country's registered length AND the ISO 7064 mod-97
// checksum holds, which rules out nearly every look-alike reference number.
import { collect, type Span } from './scan';
import type { Finding } from './types';

/** Registered IBAN lengths (SWIFT IBAN registry) for the commonly seen countries. */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, CH: 21, CR: 22, CY: 28,
  CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22,
  GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IS: 26, IT: 27, JO: 30, KW: 30,
  KZ: 20, LB: 28, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MT: 31, MU: 30,
  NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24, SE: 24, SI: 19,
  SK: 24, SM: 27, TN: 24, TR: 26, UA: 29, VG: 24, XK: 20,
};

/** ISO 7064 MOD 97-10 over the rearranged IBAN; valid IBANs leave remainder 1. */
export function ibanChecksumValid(compact: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(compact)) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    // Letters expand to two digits (A=10 … Z=35); fold them in one step.
    const value = ch >= 'A' ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 48;
    remainder = (remainder * (value >= 10 ? 100 : 10) + value) % 97;
  }
  return remainder === 1;
}

export function isValidIban(candidate: string): boolean {
  const compact = candidate.replace(/ /g, '');
  return IBAN_LENGTHS[compact.slice(0, 2)] === compact.length && ibanChecksumValid(compact);
}

// Only the "CC00" head is matched: the end is found by counting characters to
// the country's length, which copes with grouped IBANs followed by more words
// ("... 0130 00 EUR") and never swallows the start of a neighbouring IBAN.
const IBAN_HEAD = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?= ?[A-Z0-9])/g;

/** End offset after `length` alphanumerics starting at `start`, skipping single spaces. */
function endAfterChars(text: string, start: number, length: number): number | null {
  let seen = 0;
  let i = start;
  while (i < text.length && seen < length) {
    if (text[i] === ' ') {
      if (text[i + 1] === ' ' || seen === 0) return null;
    } else if (/[A-Z0-9]/.test(text[i] ?? '')) {
      seen++;
    } else {
      return null;
    }
    i++;
  }
  return seen === length ? i : null;
}

export function detectIbans(text: string): Finding[] {
  return collect('iban', IBAN_HEAD, text, (m): Span | null => {
    const start = m.index ?? 0;
    const expected = IBAN_LENGTHS[m[0].slice(0, 2)];
    if (!expected) return null;
    const end = endAfterChars(text, start, expected);
    // The IBAN must end at a word boundary, not in the middle of a longer token.
    if (end === null || /[A-Za-z0-9]/.test(text[end] ?? '')) return null;
    return isValidIban(text.slice(start, end)) ? { start, end } : null;
  });
}
