// Shared vocabulary for sensitivity detection. A Finding carries only the kind
// and the span — never the matched value — so findings are safe to log, put in
// error messages, or record in workflow history.

export type SensitiveKind =
  | 'email'
  | 'phone'
  | 'payment_card'
  | 'us_ssn'
  | 'iban'
  | 'api_key'
  | 'private_key'
  | 'high_entropy_secret';

export type DataClass = 'public' | 'internal' | 'confidential' | 'restricted';

export interface Finding {
  kind: SensitiveKind;
  /** UTF-16 offset of the first character, as in String.prototype.slice. */
  start: number;
  /** Exclusive end offset. */
  end: number;
  /** Which of a message's texts the offsets are in (src/policy/messageText.ts); absent: the first. */
  piece?: number;
}
