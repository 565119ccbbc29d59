import type { ChatMessage } from '../config/api';
import { responseFormatError, validateOutput, type ValidationRules, type ValidationResult } from '../validation';
import { analyzePrompt, type PromptAnalysis } from './analyze';

/**
 * The CPU-heavy work on caller-controlled input, as pure functions of plain data: run inline for
 * small inputs, in the pool's worker threads under a deadline for large ones.
 */
export const TASKS = {
  /** Admission: token estimate and sensitivity findings of the prompt. */
  analyze: (messages: readonly ChatMessage[]): PromptAnalysis => analyzePrompt(messages),
  /** The same from the messages' JSON: a string crosses to a thread ~40× faster than 40k small objects. */
  analyzeJson: (json: string): PromptAnalysis => analyzePrompt(JSON.parse(json) as ChatMessage[]),
  /** Admission: why the request's `response_format` schema cannot be used (Ajv compile), or null. */
  checkResponseFormat: (responseFormat: unknown): string | null => responseFormatError(responseFormat) ?? null,
  /** After an answer: the route's rules and the response_format schema (Ajv compiles caller schemas). */
  validate: (input: { content: string; rules?: ValidationRules; responseFormat?: unknown }): ValidationResult =>
    validateOutput(input.content, input.rules, input.responseFormat),
};

// One export per task: the pool's threads load this module and pick a task by name (piscina's `name`).
export const { analyze, analyzeJson, checkResponseFormat, validate } = TASKS;

export type TaskName = keyof typeof TASKS;
export type TaskInput<K extends TaskName> = Parameters<(typeof TASKS)[K]>[0];
export type TaskOutput<K extends TaskName> = ReturnType<(typeof TASKS)[K]>;
