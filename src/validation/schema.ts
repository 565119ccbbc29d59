import { z } from 'zod';
import { FieldTypeShorthand } from './fields';
import { compileJsonSchema } from './jsonSchema';
import { patternCompileError } from './regex';

/**
 * A route's `validation:` block. Regexes and the JSON Schema stay as plain data (sources / objects)
 * rather than compiled values, because rules cross into a Temporal local activity as JSON; they are
 * compiled (and cached) where they are used, and compiled once here so a bad config fails at startup.
 */

/** What the workflow does when an answer fails validation. */
export const OnFailure = z.enum(['retry', 'fallback', 'review', 'fail']);

const FieldName = z.string().min(1);

export const ValidationRulesSchema = z
  // Strict: a misspelled key (`mustNotMach`) would otherwise silently switch a safety check off.
  .strictObject({
    /** Upper bound on the answer's length in characters (Unicode code points). */
    maxChars: z.number().int().positive().optional(),
    /** JavaScript regex sources that must all match; a leading `(?i)` means case-insensitive. */
    mustMatch: z.array(z.string().min(1)).optional(),
    /** JavaScript regex sources none of which may match; a leading `(?i)` means case-insensitive. */
    mustNotMatch: z.array(z.string().min(1)).optional(),
    /** The answer must be JSON valid against this JSON Schema. */
    jsonSchema: z.record(z.string(), z.unknown()).optional(),
    /** Shorthand top-level shape of a JSON answer: field → string|number|boolean|array|object, `?` = optional. */
    fields: z.record(FieldName, FieldTypeShorthand).optional(),
    /** `block`: an answer in which the sensitivity detectors find anything fails. */
    sensitiveOutput: z.enum(['off', 'block']).optional(),
    onFailure: OnFailure.default('fail'),
  })
  .superRefine(checkCompiles);

export type ValidationRules = z.infer<typeof ValidationRulesSchema>;
export type OnFailureAction = z.infer<typeof OnFailure>;

/** Every regex and the JSON Schema must compile; issues carry the path of the offending entry. */
function checkCompiles(rules: ValidationRules, ctx: z.RefinementCtx): void {
  for (const key of ['mustMatch', 'mustNotMatch'] as const) {
    rules[key]?.forEach((source, i) => {
      const error = patternCompileError(source);
      if (error) ctx.addIssue({ code: 'custom', path: [key, i], message: `invalid regex: ${error}` });
    });
  }
  if (rules.jsonSchema) {
    const compiled = compileJsonSchema(rules.jsonSchema);
    if (!compiled.ok) ctx.addIssue({ code: 'custom', path: ['jsonSchema'], message: `invalid JSON Schema: ${compiled.error}` });
  }
}
