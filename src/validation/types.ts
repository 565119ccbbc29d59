/**
 * Results of output validation. Plain data only, so a result can cross the local-activity boundary
 * into workflow history. Nothing here may carry the answer's text: a failing answer can contain
 * secrets, and these messages end up in history, logs and the retry prompt.
 */

export type CheckName =
  | 'json_parse'
  | 'json_schema'
  | 'fields'
  | 'max_chars'
  | 'must_match'
  | 'must_not_match'
  | 'sensitive_output';

export interface CheckResult {
  check: CheckName;
  ok: boolean;
  /** Secret-free: check names, JSON paths, schema keywords, lengths, pattern sources — never answer text. */
  message?: string;
}

export interface ValidationResult {
  ok: boolean;
  checks: CheckResult[];
  /** secret-free: kinds and check names only, never the raw output */
  summary: string;
}
