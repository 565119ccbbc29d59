import type { CheckName, ValidationResult } from './types';

/**
 * The message sent back to the model when a route's `onFailure` is `retry`. Built only from the
 * result's secret-free summary and check names, so the retry prompt never repeats the failed answer.
 * Imports types only, so workflow code can import this file without pulling in Ajv.
 */

/** One concrete instruction per failed check, on top of the summary. */
const HINTS: Record<CheckName, string> = {
  json_parse: 'Reply with the JSON value only: no prose, no Markdown code fences.',
  json_schema: 'Make the JSON match the required schema exactly.',
  fields: 'Include every required field with the stated type.',
  max_chars: 'Make the answer shorter.',
  must_match: 'Follow the required format.',
  must_not_match: 'Avoid the forbidden phrasing.',
  sensitive_output: 'Do not include personal data, payment card numbers, credentials or other secrets.',
};

export function repairInstruction(result: ValidationResult): string {
  // Asking for a repair of a passing answer is a caller bug, not a validation outcome.
  if (result.ok) throw new Error('repairInstruction called for a result that passed validation');
  const failedNames = [...new Set(result.checks.filter((c) => !c.ok).map((c) => c.check))];
  const hints = failedNames.map((name) => `- ${HINTS[name]}`);
  return [
    `Your previous answer failed validation: ${result.summary}.`,
    'Answer again, fixing these problems:',
    ...hints,
    'Reply with the corrected answer only.',
  ].join('\n');
}
