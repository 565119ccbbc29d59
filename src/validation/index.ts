/**
 * Output validation: checks a model's answer against a route's `validation:` rules and the request's
 * `response_format`. Pure decisions (the workflow runs them in a local activity); results are plain,
 * secret-free data. Workflow code that only needs repairInstruction should import './repair' directly
 * (this entry pulls in Ajv).
 */
export type { CheckName, CheckResult, ValidationResult } from './types';
export { OnFailure, ValidationRulesSchema } from './schema';
export type { OnFailureAction, ValidationRules } from './schema';
export { responseFormatError, validateOutput } from './validate';
export { repairInstruction } from './repair';
export { compileJsonSchema, JsonSchemaCache } from './jsonSchema';
export type { CompiledSchema } from './jsonSchema';
export { FIELD_TYPES } from './fields';
export type { FieldType } from './fields';
