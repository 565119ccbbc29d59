import { z } from 'zod';
import type { CheckResult } from './types';
import { describePathSegments } from './paths';

/**
 * The `fields:` shorthand: `{ answer: string, confidence: "number?" }` describes the top-level shape
 * of a JSON answer without writing a JSON Schema. A trailing `?` makes the field optional. Other keys
 * in the answer are allowed: the shorthand says what must be there, not what may not.
 */

export const FIELD_TYPES = ['string', 'number', 'boolean', 'array', 'object'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** "string", "number?", … — checked by the config schema so a typo fails at startup. */
export const FieldTypeShorthand = z
  .string()
  .regex(new RegExp(`^(${FIELD_TYPES.join('|')})\\??$`), `must be one of ${FIELD_TYPES.join(', ')}, optionally followed by "?"`);

const BASE_SCHEMAS: Record<FieldType, z.ZodType> = {
  string: z.string(),
  number: z.number(),
  boolean: z.boolean(),
  array: z.array(z.unknown()),
  object: z.record(z.string(), z.unknown()),
};

/** Built schemas per config object: rules come from the config, so the set is small and fixed. */
// eslint-disable-next-line no-restricted-syntax -- a memo of a pure function (same input, same result): sharing it across runs changes no decision
const builtSchemas = new WeakMap<Record<string, string>, z.ZodType>();

export function fieldsSchema(fields: Record<string, string>): z.ZodType {
  const cached = builtSchemas.get(fields);
  if (cached) return cached;
  const shape: Record<string, z.ZodType> = {};
  for (const [name, shorthand] of Object.entries(fields)) shape[name] = fieldSchema(shorthand);
  const built = z.looseObject(shape);
  builtSchemas.set(fields, built);
  return built;
}

function fieldSchema(shorthand: string): z.ZodType {
  const optional = shorthand.endsWith('?');
  const type = (optional ? shorthand.slice(0, -1) : shorthand) as FieldType;
  const base = BASE_SCHEMAS[type];
  // The config schema rejects unknown types; reaching this means rules bypassed it.
  if (!base) throw new Error(`unknown field type "${shorthand}" (rules were not parsed by ValidationRulesSchema)`);
  return optional ? base.optional() : base;
}

/** Checks a parsed JSON answer against the shorthand; the message lists failing paths and expected types. */
export function checkFields(value: unknown, fields: Record<string, string>): CheckResult {
  // reportInput only to tell "missing" from "wrong type"; the input never reaches the message.
  const parsed = fieldsSchema(fields).safeParse(value, { reportInput: true });
  if (parsed.success) return { check: 'fields', ok: true };
  const problems = parsed.error.issues.map((issue) => `${describePathSegments(issue.path)} ${describeIssue(issue)}`);
  return { check: 'fields', ok: false, message: problems.join('; ') };
}

/** Built from the issue's code and expected type only: zod messages could in principle echo input. */
function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    return issue.input === undefined ? `is required (${issue.expected})` : `expected ${issue.expected}`;
  }
  return `is invalid (${issue.code})`;
}
