import OpenAI from 'openai';
import { mapOpenAIError } from '../openai/mapError';
import { UpstreamError } from '../upstreamError';

/**
 * Azure's errors are OpenAI's shape (`{ error: { code, message } }`), plus its content filter: a
 * prompt the filter blocked is a 400 with `code: 'content_filter'` and `innererror: { code:
 * 'ResponsibleAIPolicyViolation', content_filter_result: { hate: { filtered, severity }, … } }`.
 * That becomes `providerCode: 'content_filter'` (ContentPolicyRejected), naming the categories
 * that fired (never the prompt). A filtered answer is a 200 with finish_reason `content_filter`.
 */
export function mapAzureError(err: unknown): unknown {
  const mapped = mapOpenAIError(err);
  if (!(mapped instanceof UpstreamError) || !(err instanceof OpenAI.APIError)) return mapped;
  const inner = (err.error as { innererror?: { code?: unknown; content_filter_result?: unknown } } | undefined)?.innererror;
  if (inner?.code !== 'ResponsibleAIPolicyViolation' && mapped.providerCode !== 'content_filter') return mapped;
  const fired = filteredCategories(inner?.content_filter_result);
  const message = fired.length > 0 ? `${mapped.message} (filtered: ${fired.join(', ')})` : mapped.message;
  return new UpstreamError('http', message, mapped.status, 'content_filter', mapped.retryAfterMs);
}

/** The categories marked `filtered: true` (hate, sexual, violence, self_harm, jailbreak, custom blocklists). */
function filteredCategories(result: unknown): string[] {
  if (typeof result !== 'object' || result === null) return [];
  return Object.entries(result as Record<string, unknown>)
    .filter(([, v]) => (v as { filtered?: unknown } | null)?.filtered === true)
    .map(([name]) => name)
    .slice(0, 10);
}
