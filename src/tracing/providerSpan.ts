import { SpanKind, SpanStatusCode, type Attributes, type Tracer } from '@opentelemetry/api';

/** What a provider-call span says: names, ids and numbers the gateway chose, never caller text. */
export interface ProviderCallFields {
  operation: 'chat' | 'embeddings';
  /** The configured provider's name and kind (e.g. `openai`, `openai-compatible`). */
  provider: string;
  kind?: string;
  /** The gateway's model name and the provider's model id. */
  model: string;
  upstream: string;
  route?: string;
  requestId: string;
  attempt?: number;
  stream?: boolean;
}

/** What the answer adds: the provider's model, token counts and finish reasons. */
export interface ProviderAnswerFields {
  model?: string;
  usage?: { prompt_tokens: number; completion_tokens: number };
  finishReasons?: string[];
}

export type ProviderOutcome = 'ok' | 'error' | 'cancelled';

/** The span's start attributes (GenAI semantic conventions plus `gatehouse.*`). */
export function providerCallAttributes(f: ProviderCallFields): Attributes {
  return {
    'gen_ai.operation.name': f.operation,
    'gen_ai.system': f.kind ?? f.provider,
    'gen_ai.request.model': f.upstream,
    'gatehouse.provider': f.provider,
    'gatehouse.model': f.model,
    'gatehouse.request_id': f.requestId,
    ...(f.route ? { 'gatehouse.route': f.route } : {}),
    ...(f.attempt !== undefined ? { 'gatehouse.attempt': f.attempt } : {}),
    ...(f.stream !== undefined ? { 'gatehouse.stream': f.stream } : {}),
  };
}

export function providerAnswerAttributes(a: ProviderAnswerFields): Attributes {
  return {
    ...(a.model ? { 'gen_ai.response.model': a.model } : {}),
    ...(a.usage ? { 'gen_ai.usage.input_tokens': a.usage.prompt_tokens, 'gen_ai.usage.output_tokens': a.usage.completion_tokens } : {}),
    ...(a.finishReasons?.length ? { 'gen_ai.response.finish_reasons': a.finishReasons } : {}),
  };
}

/** A failure's type (the gateway's failure kinds, e.g. `ProviderTimeout`), never its message. */
export function errorType(err: unknown): string {
  const type = (err as { type?: unknown })?.type;
  if (typeof type === 'string' && type) return type;
  return err instanceof Error ? err.name : 'Error';
}

/** The provider's HTTP status, from the attempt failure's details (activities/callProvider.ts). */
function upstreamStatus(err: unknown): number | undefined {
  const status = (err as { details?: Array<{ status?: unknown }> })?.details?.[0]?.status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Runs one provider call inside a CLIENT span, a child of the activity's RunActivity span; with no
 * tracer (tracing off) just runs it. `cancelled` tells a cancellation from a failure.
 */
export async function withProviderSpan<T>(
  tracer: Tracer | undefined,
  fields: ProviderCallFields,
  call: () => Promise<T>,
  answer: (result: T) => ProviderAnswerFields,
  cancelled: () => boolean,
): Promise<T> {
  if (!tracer) return call();
  const name = `${fields.operation} ${fields.upstream}`;
  return tracer.startActiveSpan(name, { kind: SpanKind.CLIENT, attributes: providerCallAttributes(fields) }, async (span) => {
    try {
      const result = await call();
      span.setAttributes({ ...providerAnswerAttributes(answer(result)), 'gatehouse.outcome': 'ok' satisfies ProviderOutcome });
      return result;
    } catch (err) {
      const outcome: ProviderOutcome = cancelled() ? 'cancelled' : 'error';
      const status = upstreamStatus(err);
      span.setAttributes({ 'gatehouse.outcome': outcome, 'error.type': errorType(err), ...(status ? { 'gatehouse.upstream_status': status } : {}) });
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  });
}
