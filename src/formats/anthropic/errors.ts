import type { GatewayError } from '../../errors';

/** Anthropic's error types, by HTTP status (its SDK picks the error class from the status). */
export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

export function anthropicErrorType(status: number): AnthropicErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 503 || status === 529) return 'overloaded_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string; code: string; param?: string };
  gatehouse?: unknown;
}

/** A gateway error in Anthropic's shape; our stable `code` (and `param`) stay inside `error`, our metadata beside it. */
export function anthropicErrorBody(err: GatewayError): AnthropicErrorBody {
  const error: AnthropicErrorBody['error'] = { type: anthropicErrorType(err.status), message: err.message, code: err.code };
  if (err.param) error.param = err.param;
  return err.meta ? { type: 'error', error, gatehouse: err.meta } : { type: 'error', error };
}
