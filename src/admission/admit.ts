import type { ChatCompletionRequest } from '../config/api';
import { invalidRequest } from '../errors';
import type { ValidationRules, ValidationResult } from '../validation';
import { findingsPerMessage, type PromptAnalysis } from './analyze';
import { DeadlineExceeded, tooComplex, type CpuPool } from './cpuPool';

/**
 * Compiling a JSON Schema costs Ajv ~20-50 µs per character of schema (measured: 100 properties with
 * patterns, 4.8 kB, 246 ms; 200 nested objects, 7.4 kB, 168 ms), some 100× a prompt character; so
 * schema sizes are weighted by that before the pool's inline limit applies.
 */
const SCHEMA_CHAR_COST = 64;

export interface AnalyzedRequest {
  promptTokens: number;
  /** Per message, in order. */
  findings: PromptAnalysis['findings'][number][];
  /** UTF-8 bytes of the messages' JSON (route size limits). */
  bytes: number;
}

/**
 * Admission's work on the caller's text, linear and bounded: the prompt analysis and the
 * `response_format` schema check. Past the pool's deadline: 413 `request_too_complex`; a schema that
 * cannot be used (does not compile, or a pattern RE2 cannot run): 400 `invalid_response_format`.
 */
export async function analyzeRequest(pool: CpuPool, body: ChatCompletionRequest): Promise<AnalyzedRequest> {
  const json = JSON.stringify(body.messages);
  const analysis = await refuseOnDeadline(pool, pool.run('analyzeJson', json, json.length));
  if (body.response_format !== undefined && body.response_format !== null) {
    const size = JSON.stringify(body.response_format).length * SCHEMA_CHAR_COST;
    const error = await refuseOnDeadline(pool, pool.run('checkResponseFormat', body.response_format, size));
    if (error) throw invalidRequest('invalid_response_format', error, 'response_format');
  }
  return { promptTokens: analysis.promptTokens, findings: findingsPerMessage(analysis, body.messages.length), bytes: Buffer.byteLength(json) };
}

async function refuseOnDeadline<T>(pool: CpuPool, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw err instanceof DeadlineExceeded ? tooComplex(pool.deadlineMs) : err;
  }
}

/**
 * An answer's validation, bounded like admission. Past the deadline the answer fails its schema
 * check (the route's onFailure applies), since an answer that cannot be checked is not released.
 */
export async function validateAnswer(pool: CpuPool, content: string, rules: ValidationRules | undefined, responseFormat: unknown): Promise<ValidationResult> {
  const size = content.length + (responseFormat ? JSON.stringify(responseFormat).length * SCHEMA_CHAR_COST : 0);
  try {
    return await pool.run('validate', { content, rules, responseFormat }, size);
  } catch (err) {
    if (!(err instanceof DeadlineExceeded)) throw err;
    const message = `validation did not finish within ${pool.deadlineMs} ms`;
    return { ok: false, checks: [{ check: 'json_schema', ok: false, message }], summary: `failed 1 of 1 check(s): json_schema (${message})` };
  }
}
