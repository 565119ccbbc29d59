import { detectSensitive, summarizeKinds } from '../policy/sensitivity';
import { checkFields } from './fields';
import { compileJsonSchema, describeAjvErrors } from './jsonSchema';
import { compileRulePattern } from './regex';
import type { ValidationRules } from './schema';
import type { CheckResult, ValidationResult } from './types';

/**
 * Output validation: a pure decision on one answer. Invalid answers are data (a failed check), never
 * exceptions. Every message is built from check names, JSON paths, schema keywords, lengths and
 * pattern sources only — the answer may hold secrets and results go to history, logs and prompts.
 */

interface SchemaToApply {
  /** Where the schema came from, for the message. */
  origin: 'response_format' | 'config jsonSchema';
  schema: unknown;
}

/** What the answer's JSON must satisfy, gathered from the request's response_format and the rules. */
interface JsonExpectations {
  mustBeObject: boolean;
  schemas: SchemaToApply[];
  fields?: Record<string, string>;
}

export function validateOutput(answer: string, rules: ValidationRules | undefined, responseFormat?: unknown): ValidationResult {
  const expectations = jsonExpectations(rules, responseFormat);
  const checks = [...(expectations ? checkJson(answer, expectations) : []), ...(rules ? checkText(answer, rules) : [])];
  return { ok: checks.every((c) => c.ok), checks, summary: summarize(checks) };
}

/** Undefined when nothing asks for JSON, so plain-text answers are not parsed at all. */
function jsonExpectations(rules: ValidationRules | undefined, responseFormat: unknown): JsonExpectations | undefined {
  const schemas: SchemaToApply[] = [];
  const format = readResponseFormat(responseFormat);
  if (format?.schema !== undefined) schemas.push({ origin: 'response_format', schema: format.schema });
  if (rules?.jsonSchema) schemas.push({ origin: 'config jsonSchema', schema: rules.jsonSchema });
  if (!format && schemas.length === 0 && !rules?.fields) return undefined;
  return { mustBeObject: format?.type === 'json_object', schemas, fields: rules?.fields };
}

/**
 * Why a request's `response_format` json_schema cannot be used (it does not compile, or a pattern
 * needs lookaround or backreferences), or undefined. Admission refuses such a request up front (400)
 * rather than letting every answer fail the check after the provider was paid.
 */
export function responseFormatError(responseFormat: unknown): string | undefined {
  const schema = readResponseFormat(responseFormat)?.schema;
  if (schema === undefined) return undefined;
  const compiled = compileJsonSchema(schema);
  return compiled.ok ? undefined : `response_format json_schema does not compile: ${compiled.error}`;
}

/** The OpenAI `response_format` parts that constrain the answer; `text` or anything unknown means none. */
function readResponseFormat(value: unknown): { type: 'json_object' | 'json_schema'; schema?: unknown } | undefined {
  if (!isPlainObject(value)) return undefined;
  if (value.type === 'json_object') return { type: 'json_object' };
  if (value.type !== 'json_schema') return undefined;
  // `strict` changes how the provider generates, not what a valid answer is, so it is not read here.
  const spec = value.json_schema;
  return { type: 'json_schema', schema: isPlainObject(spec) ? spec.schema : undefined };
}

function checkJson(answer: string, expect: JsonExpectations): CheckResult[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer);
  } catch {
    // V8's parse error quotes the input, so it is not passed on.
    return [{ check: 'json_parse', ok: false, message: 'answer is not valid JSON' }];
  }
  if (expect.mustBeObject && !isPlainObject(parsed)) {
    return [{ check: 'json_parse', ok: false, message: `answer must be a JSON object (response_format json_object), got ${jsonKind(parsed)}` }];
  }
  const checks: CheckResult[] = [{ check: 'json_parse', ok: true }];
  for (const s of expect.schemas) checks.push(checkJsonSchema(parsed, s));
  if (expect.fields) checks.push(checkFields(parsed, expect.fields));
  return checks;
}

function checkJsonSchema(value: unknown, { origin, schema }: SchemaToApply): CheckResult {
  const compiled = compileJsonSchema(schema);
  if (!compiled.ok) return { check: 'json_schema', ok: false, message: `${origin} schema does not compile: ${compiled.error}` };
  if (compiled.validate(value)) return { check: 'json_schema', ok: true };
  return { check: 'json_schema', ok: false, message: `${origin}: ${describeAjvErrors(compiled.validate.errors)}` };
}

function checkText(answer: string, rules: ValidationRules): CheckResult[] {
  const checks: CheckResult[] = [];
  if (rules.maxChars !== undefined) checks.push(checkMaxChars(answer, rules.maxChars));
  for (const source of rules.mustMatch ?? []) {
    const ok = compileRulePattern(source).test(answer);
    checks.push(ok ? { check: 'must_match', ok } : { check: 'must_match', ok, message: `does not match required pattern ${source}` });
  }
  for (const source of rules.mustNotMatch ?? []) {
    const ok = !compileRulePattern(source).test(answer);
    checks.push(ok ? { check: 'must_not_match', ok } : { check: 'must_not_match', ok, message: `matches forbidden pattern ${source}` });
  }
  if (rules.sensitiveOutput === 'block') checks.push(checkSensitive(answer));
  return checks;
}

function checkMaxChars(answer: string, maxChars: number): CheckResult {
  const length = countCodePoints(answer);
  if (length <= maxChars) return { check: 'max_chars', ok: true };
  return { check: 'max_chars', ok: false, message: `answer is ${length} characters, limit is ${maxChars}` };
}

function checkSensitive(answer: string): CheckResult {
  const kinds = summarizeKinds(detectSensitive(answer));
  if (kinds.length === 0) return { check: 'sensitive_output', ok: true };
  return { check: 'sensitive_output', ok: false, message: `answer contains sensitive data: ${kinds.join(', ')}` };
}

/** Built from the (secret-free) check names and messages only. */
function summarize(checks: readonly CheckResult[]): string {
  if (checks.length === 0) return 'no checks configured';
  const failed = checks.filter((c) => !c.ok);
  if (failed.length === 0) return `passed ${checks.length} check(s): ${uniqueNames(checks).join(', ')}`;
  const details = failed.map((c) => (c.message ? `${c.check} (${c.message})` : c.check));
  return `failed ${failed.length} of ${checks.length} check(s): ${details.join('; ')}`;
}

function uniqueNames(checks: readonly CheckResult[]): string[] {
  return [...new Set(checks.map((c) => c.check))];
}

/** Characters as people count them (code points), not UTF-16 units: an emoji is one character. */
function countCodePoints(text: string): number {
  return Array.from(text).length;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}
