// Maps findings to a data class. The map is exported so policy config can
// refer to it (e.g. "block anything above confidential for provider X").
import type { DataClass, Finding, SensitiveKind } from './types';

/** Least to most sensitive; index order is what maxClass compares. */
export const DATA_CLASS_ORDER: readonly DataClass[] = ['public', 'internal', 'confidential', 'restricted'];

export const KIND_DATA_CLASS: Readonly<Record<SensitiveKind, DataClass>> = {
  email: 'confidential',
  phone: 'confidential',
  payment_card: 'restricted',
  us_ssn: 'restricted',
  iban: 'restricted',
  api_key: 'restricted',
  private_key: 'restricted',
  high_entropy_secret: 'restricted',
};

export function maxClass(a: DataClass, b: DataClass): DataClass {
  return DATA_CLASS_ORDER.indexOf(a) >= DATA_CLASS_ORDER.indexOf(b) ? a : b;
}

/** Text with no findings is 'public': detection found nothing to protect. */
export function classifyFindings(findings: readonly Finding[]): DataClass {
  return findings.reduce<DataClass>((acc, f) => maxClass(acc, KIND_DATA_CLASS[f.kind]), 'public');
}

/** Unique kinds in alphabetical order — safe to name in error messages. */
export function summarizeKinds(findings: readonly Finding[]): SensitiveKind[] {
  return [...new Set(findings.map((f) => f.kind))].sort();
}
