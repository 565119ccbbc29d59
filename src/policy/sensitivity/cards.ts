// Payment card numbers (PANs). A digit run only counts when its length, its
// issuer prefix (IIN) and its Luhn checksum all agree; that combination is what
// separates cards from order numbers, tracking numbers and other long integers.
import { luhnValid } from './luhn';
import { collect, onlyDigits, type Span } from './scan';
import type { Finding } from './types';

interface CardBrand {
  /** Inclusive IIN ranges; both bounds have the same number of digits. */
  ranges: ReadonlyArray<readonly [number, number]>;
  lengths: readonly number[];
}

const range = (from: number, to: number): readonly number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const CARD_BRANDS: readonly CardBrand[] = [
  { ranges: [[4, 4]], lengths: [13, 16, 19] }, // Visa
  { ranges: [[51, 55], [2221, 2720]], lengths: [16] }, // Mastercard
  { ranges: [[34, 34], [37, 37]], lengths: [15] }, // American Express
  { ranges: [[6011, 6011], [644, 649], [65, 65]], lengths: range(16, 19) }, // Discover
  { ranges: [[300, 305], [36, 36], [38, 39]], lengths: range(14, 19) }, // Diners Club
  { ranges: [[3528, 3589]], lengths: range(16, 19) }, // JCB
  { ranges: [[62, 62]], lengths: range(16, 19) }, // UnionPay
  { ranges: [[5018, 5018], [5020, 5020], [5038, 5038], [5893, 5893], [6304, 6304], [6759, 6759], [6761, 6763]], lengths: range(13, 19) }, // Maestro
];

function hasCardPrefix(digits: string): boolean {
  return CARD_BRANDS.some(
    (brand) =>
      brand.lengths.includes(digits.length) &&
      brand.ranges.some(([lo, hi]) => {
        const prefix = Number(digits.slice(0, String(lo).length));
        return prefix >= lo && prefix <= hi;
      }),
  );
}

/**
 * Cards are written contiguously or in the printed groupings (4-4-4-4[-3],
 * Amex/Diners 4-6-5 / 4-6-4). Requiring a known grouping stops us from
 * stitching a card out of unrelated numbers such as "12 3456 7890 1234 5".
 */
function hasCardGrouping(run: string): boolean {
  const separators = new Set(run.replace(/\d/g, ''));
  if (separators.size === 0) return true;
  if (separators.size > 1) return false;
  const sizes = run.split(/[ -]/).map((g) => g.length);
  const last = sizes[sizes.length - 1] ?? 0;
  const leadingFours = sizes.slice(0, -1).every((n) => n === 4) && last >= 1 && last <= 4;
  const amexStyle = sizes.length === 3 && sizes[0] === 4 && sizes[1] === 6 && (last === 4 || last === 5);
  return leadingFours || amexStyle;
}

export function isPaymentCardNumber(run: string): boolean {
  const digits = onlyDigits(run);
  return digits.length >= 13 && digits.length <= 19 && hasCardGrouping(run) && hasCardPrefix(digits) && luhnValid(digits);
}

// A maximal run of digit groups joined by single spaces or dashes. The
// lookarounds make sure we only ever see the whole run (never a slice of a
// longer number, a version string, a decimal, or a "+44 ..." phone number).
const DIGIT_RUN = /(?<![\w.,+]|\w-|\d )\d+(?:[ -]\d+)*(?![\w]|[.,]\d|[ -]\d|-\w)/g;

export function detectPaymentCards(text: string): Finding[] {
  return collect('payment_card', DIGIT_RUN, text, (m): Span | null => {
    const start = m.index ?? 0;
    return isPaymentCardNumber(m[0]) ? { start, end: start + m[0].length } : null;
  });
}
