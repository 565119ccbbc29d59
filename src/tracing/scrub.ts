import type { Attributes } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter, TimedEvent } from '@opentelemetry/sdk-trace-base';

/**
 * Span attributes that leave the process: an allow-list, so nothing else can. Prompts, answers and
 * keys are never set by Gatehouse, but error messages (a provider's message may quote the prompt) and
 * attributes from other code (e.g. `gen_ai.prompt` of an older convention) would be: they are dropped.
 */
const KEPT = new Set([
  // HTTP (server span)
  'http.request.method',
  'http.route',
  'http.response.status_code',
  'url.scheme',
  // GenAI semantic conventions: names and counts only, never the messages.
  'gen_ai.operation.name',
  'gen_ai.system',
  'gen_ai.request.model',
  'gen_ai.response.model',
  'gen_ai.response.finish_reasons',
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.output_tokens',
  // The Temporal interceptors' ids.
  'temporalWorkflowId',
  'temporalActivityId',
  'temporalUpdateId',
  'run_id',
  'error.type',
  'exception.type',
]);

/** Gatehouse's own attributes (src/tracing/attributes.ts): names, numbers and codes it chose. */
const OWN_PREFIX = 'gatehouse.';

export function keptAttributes(attrs: Attributes): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attrs)) if (KEPT.has(key) || key.startsWith(OWN_PREFIX)) out[key] = value;
  return out;
}

/**
 * The span as exported: attributes allow-listed, events reduced to their name and kept attributes
 * (an exception event keeps its type, not its message or stack), and the status without its message.
 */
export function scrubSpan(span: ReadableSpan): ReadableSpan {
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanId: span.parentSpanId,
    startTime: span.startTime,
    endTime: span.endTime,
    status: { code: span.status.code },
    attributes: keptAttributes(span.attributes),
    links: span.links.map((l) => ({ context: l.context })),
    events: span.events.map((e): TimedEvent => ({ name: e.name, time: e.time, attributes: keptAttributes(e.attributes ?? {}) })),
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationLibrary: span.instrumentationLibrary,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/** Wraps the real exporter: every span, the workflow sandbox's too, passes scrubSpan first. */
export class ScrubbingExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans.map(scrubSpan), done);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
