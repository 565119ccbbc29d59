// The SDK's error classes alone (a few ms to load), not the client: the same classes it throws.
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk/core/error';
import { UpstreamError, parseRetryAfter } from '../upstreamError';

/**
 * Anthropic's error `type` → HTTP status, for errors that carry no status: an `error` event in the
 * middle of a 200 stream (e.g. `overloaded_error`). An unknown type mid-stream is a server fault.
 */
const STATUS_OF_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** Turns anything the Anthropic SDK throws into the one upstream error type. */
export function mapAnthropicError(err: unknown): unknown {
  if (err instanceof UpstreamError) return err;
  if (err instanceof APIUserAbortError) return err; // our own cancellation: not a provider fault
  if (err instanceof APIConnectionTimeoutError) return new UpstreamError('timeout', 'provider did not answer before the deadline');
  if (err instanceof APIConnectionError) return new UpstreamError('connection', `connection failed: ${causeMessage(err)}`);
  if (err instanceof APIError) return fromApiError(err);
  if (err instanceof SyntaxError) return new UpstreamError('malformed', `provider sent a malformed body: ${err.message}`);
  return new UpstreamError('connection', `provider call failed: ${(err as Error)?.message ?? String(err)}`);
}

function fromApiError(err: APIError): UpstreamError {
  const type = err.type ?? undefined;
  const status = err.status ?? (type ? STATUS_OF_TYPE[type] : undefined) ?? 500;
  const message = err.apiMessage ?? err.message;
  const retryAfterMs = parseRetryAfter(err.headers?.get('retry-after'), err.headers?.get('retry-after-ms'));
  return new UpstreamError('http', message, status, providerCode(status, type, err.errorCode, message), retryAfterMs);
}

/**
 * The code `classifyUpstreamError` reads. Anthropic names context overflow only in its message
 * ("prompt is too long: 208310 tokens > 200000 maximum") or as a 413 `request_too_large`, and a
 * refused assistant prefill only in its message ("This model does not support assistant message
 * prefill"); both become the gateway's shared codes. Else Anthropic's `error_code`, else its `type`.
 */
export function providerCode(status: number, type: string | undefined, errorCode: string | null, message: string): string | undefined {
  if (status === 413 || type === 'request_too_large') return 'context_length_exceeded';
  if (status === 400 && /prompt is too long/i.test(message)) return 'context_length_exceeded';
  if (status === 400 && /does not support assistant message prefill/i.test(message)) return 'unsupported_prefill';
  return errorCode ?? type;
}

function causeMessage(err: Error): string {
  const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? err.message;
}
