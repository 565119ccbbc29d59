import { UpstreamError, parseRetryAfter } from '../upstreamError';

/**
 * Status per Bedrock exception, so that `classifyUpstreamError` works unchanged. By name, not by
 * the HTTP status: exceptions inside a ConverseStream arrive on a 200 response. Choices:
 * - ModelNotReadyException and ServiceQuotaExceededException are capacity, not the caller's
 *   mistake: 429 (retried, then the next model);
 * - ModelErrorException (the model itself failed, AWS's 424) is a server error: 502;
 * - UnrecognizedClientException (a key AWS does not know) is 401; expired or denied, 403.
 */
const STATUS: Readonly<Record<string, number>> = {
  ThrottlingException: 429,
  ModelNotReadyException: 429,
  ServiceQuotaExceededException: 429,
  ServiceUnavailableException: 503,
  InternalServerException: 500,
  ModelStreamErrorException: 500,
  ModelErrorException: 502,
  ModelTimeoutException: 408,
  ValidationException: 400,
  ConflictException: 409,
  AccessDeniedException: 403,
  UnrecognizedClientException: 401,
  InvalidSignatureException: 403,
  ExpiredTokenException: 403,
  ExpiredToken: 403,
  ResourceNotFoundException: 404,
};

const CREDENTIAL_ERRORS = new Set(['CredentialsProviderError', 'TokenProviderError', 'ProviderError']);

/** ValidationException texts that mean "the prompt does not fit the model". */
const TOO_LONG = /too long|too many (input )?tokens|context (length|window)|maximum context/i;

/** Node socket errors that mean the provider could not be reached (or dropped us). */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);

interface AwsError {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

/**
 * Anything the AWS SDK throws → the one upstream error type; `providerCode` is the AWS exception name
 * (or `context_length_exceeded`). The caller's own abort is passed through untouched.
 */
export function mapBedrockError(err: unknown): unknown {
  if (err instanceof UpstreamError) return err;
  const e = (err ?? {}) as AwsError;
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : name || 'Bedrock call failed';
  if (name === 'AbortError') return err;
  // No credentials anywhere in the chain (or a profile that holds none): the provider's auth failure.
  if (CREDENTIAL_ERRORS.has(name)) return new UpstreamError('http', `AWS credentials not available: ${message}`, 401, name);
  if (name === 'TimeoutError') return new UpstreamError('timeout', `Bedrock did not answer before the deadline: ${message}`);
  const status = STATUS[name] ?? e.$metadata?.httpStatusCode ?? (e.$fault ? (e.$fault === 'client' ? 400 : 500) : undefined);
  if (status === undefined || (typeof e.code === 'string' && CONNECTION_CODES.has(e.code))) {
    if (err instanceof SyntaxError) return new UpstreamError('malformed', `Bedrock sent a malformed body: ${message}`);
    return new UpstreamError('connection', `Bedrock call failed: ${typeof e.code === 'string' ? e.code : message}`);
  }
  const code = status === 400 && TOO_LONG.test(message.slice(0, 500)) ? 'context_length_exceeded' : name || undefined;
  return new UpstreamError('http', message, status, code, parseRetryAfter(header(e, 'retry-after')));
}

function header(e: AwsError, name: string): string | undefined {
  const headers = e.$response?.headers ?? {};
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}
