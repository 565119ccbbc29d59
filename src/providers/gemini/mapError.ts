import { UpstreamError } from '../upstreamError';

/**
 * Anything `@google/genai` throws → the one upstream error type. The SDK's `ApiError` carries the
 * HTTP status and, as its message, Google's error body as JSON
 * (`{"error":{"code":429,"message":"…","status":"RESOURCE_EXHAUSTED","details":[…]}}`; from a
 * stream: `got status: …. {json}`). Pure; `name` checks, so the SDK need not be loaded to map.
 */
interface GoogleErrorBody {
  code?: number;
  message?: string;
  status?: string;
  details?: Array<{ '@type'?: string; retryDelay?: string; reason?: string }>;
}

/** Gemini's (and Vertex's) words for a prompt over the model's context window. */
const TOO_LONG = /exceeds the maximum number of tokens|input token count.*exceeds/i;

/** google-auth-library's words when ADC finds no credentials, or cannot refresh the ones it has. */
const NO_CREDENTIALS = /Could not load the default credentials|Could not refresh access token|invalid_grant/i;

export function mapGeminiError(err: unknown): unknown {
  if (err instanceof UpstreamError) return err;
  const e = err as { name?: string; status?: unknown; message?: string; cause?: { code?: string; message?: string } } | null;
  if (e?.name === 'ApiError' && typeof e.status === 'number') return fromApiError(e.status, e.message ?? '');
  if (err instanceof SyntaxError) return new UpstreamError('malformed', `Gemini sent a malformed body: ${err.message}`);
  if (e?.message?.startsWith('exception parsing stream chunk') || e?.message === 'Incomplete JSON segment at the end') {
    return new UpstreamError('malformed', `Gemini sent a malformed stream: ${e.message.slice(0, 200)}`);
  }
  // Vertex without usable Application Default Credentials: like a missing key, the provider's 401.
  if (e?.message && NO_CREDENTIALS.test(e.message)) return new UpstreamError('http', `Google credentials unavailable: ${e.message.slice(0, 300)}`, 401, 'credentials_unavailable');
  const why = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return new UpstreamError('connection', `Gemini call failed: ${why}`);
}

export function fromApiError(status: number, message: string): UpstreamError {
  const body = googleError(message);
  const text = body?.message ?? message;
  // The Gemini API answers a wrong key with 400 INVALID_ARGUMENT: it is an auth failure (fall back), not a bad request.
  if (status === 400 && body?.details?.some((d) => d.reason === 'API_KEY_INVALID')) return new UpstreamError('http', text, 401, 'api_key_invalid');
  return new UpstreamError('http', text, status, providerCode(status, body, text), retryDelayMs(body));
}

/** The `error` object of Google's body inside the SDK's message, if there is one. */
export function googleError(message: string): GoogleErrorBody | undefined {
  const start = message.indexOf('{');
  if (start === -1) return undefined;
  try {
    const parsed = JSON.parse(message.slice(start)) as { error?: GoogleErrorBody } | null;
    return typeof parsed?.error === 'object' && parsed.error !== null ? parsed.error : undefined;
  } catch {
    return undefined;
  }
}

function providerCode(status: number, body: GoogleErrorBody | undefined, text: string): string | undefined {
  if (status === 400 && TOO_LONG.test(text)) return 'context_length_exceeded';
  return body?.status ? body.status.toLowerCase() : undefined;
}

/** `google.rpc.RetryInfo.retryDelay`, a protobuf Duration in JSON ("12s", "0.5s"), in ms. */
export function retryDelayMs(body: GoogleErrorBody | undefined): number | undefined {
  const info = body?.details?.find((d) => d['@type']?.endsWith('google.rpc.RetryInfo'));
  const m = /^(\d+(?:\.\d+)?)s$/.exec(info?.retryDelay ?? '');
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}
