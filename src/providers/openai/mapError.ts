import OpenAI from 'openai';
import { UpstreamError, parseRetryAfter } from '../upstreamError';

/** Turns anything the OpenAI SDK throws into the one upstream error type. */
export function mapOpenAIError(err: unknown): unknown {
  if (err instanceof OpenAI.APIUserAbortError) return err; // our own cancellation: not a provider fault
  // A key or token function's own UpstreamError (e.g. no Entra ID token), which the SDK wraps.
  if (err instanceof OpenAI.OpenAIError && err.cause instanceof UpstreamError) return err.cause;
  if (err instanceof OpenAI.APIConnectionTimeoutError) return new UpstreamError('timeout', 'provider did not answer before the deadline');
  if (err instanceof OpenAI.APIConnectionError) return new UpstreamError('connection', `connection failed: ${causeMessage(err)}`);
  if (err instanceof OpenAI.APIError && err.status !== undefined) {
    const retryAfterMs = parseRetryAfter(err.headers?.get('retry-after'), err.headers?.get('retry-after-ms'));
    const code = typeof err.code === 'string' ? err.code : undefined;
    return new UpstreamError('http', providerMessage(err), err.status, code, retryAfterMs);
  }
  if (err instanceof SyntaxError) return new UpstreamError('malformed', `provider sent a malformed body: ${err.message}`);
  return new UpstreamError('connection', `provider call failed: ${(err as Error)?.message ?? String(err)}`);
}

function providerMessage(err: InstanceType<typeof OpenAI.APIError>): string {
  const body = err.error as { message?: unknown } | undefined;
  return typeof body?.message === 'string' ? body.message : err.message;
}

function causeMessage(err: Error): string {
  const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? err.message;
}
