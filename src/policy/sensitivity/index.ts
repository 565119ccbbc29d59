// Data-sensitivity detection for prompts and responses. Pure functions only
// (no I/O, no clock, no randomness, no Node builtins) so the same code runs in
// activities and inside Temporal workflow sandboxes.
//
// Findings carry kind + offsets, never the matched text: log them, name their
// kinds in errors (summarizeKinds), and use redact() before text leaves.
export type { DataClass, Finding, SensitiveKind } from './types';
export { detectSensitive } from './detect';
export { classifyFindings, DATA_CLASS_ORDER, KIND_DATA_CLASS, maxClass, summarizeKinds } from './classify';
export { redact, redactionMarker } from './redact';
export { luhnValid } from './luhn';
export { IBAN_LENGTHS, ibanChecksumValid, isValidIban } from './iban';
export { isPaymentCardNumber } from './cards';
export { isValidSsn } from './patterns';
export { shannonEntropy } from './entropy';
