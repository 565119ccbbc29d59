// Luhn (mod-10) check used by payment card numbers.

/** True when a string of decimal digits passes the Luhn checksum. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    // Every second digit from the right is doubled; 2*d-9 is the digit sum of 2*d.
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}
