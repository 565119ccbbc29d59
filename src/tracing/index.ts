import type { Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource, type IResource } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { ScrubbingExporter } from './scrub';
import { tracingSettings, type SamplerSettings, type TracingSettings } from './settings';

export { tracingSettings, type TracingSettings } from './settings';

/** One process's tracing: the tracer Gatehouse's own spans use and what the Temporal interceptors need. */
export interface Tracing {
  readonly provider: NodeTracerProvider;
  /** Gatehouse's own spans (HTTP server, provider call). */
  readonly tracer: Tracer;
  /** Where spans made inside the workflow sandbox are handed (through the worker's sink). */
  readonly processor: SpanProcessor;
  readonly resource: IResource;
  /** Sends what is buffered, then stops (the gateway's last stop step). */
  shutdown(): Promise<void>;
  /** Sends what is buffered (for a provider the gateway was given and does not own). */
  forceFlush(): Promise<void>;
}

export const TRACER_NAME = 'gatehouse';

/**
 * Tracing from the standard OTEL_* variables: undefined when they leave it off, so nothing is
 * installed and nothing costs. `exporter` replaces the OTLP exporter (tests: an in-memory one);
 * spans pass the scrubber (src/tracing/scrub.ts) either way.
 */
export function createTracing(env: NodeJS.ProcessEnv, opts: { exporter?: SpanExporter; settings?: TracingSettings; logger?: Logger } = {}): Tracing | undefined {
  const settings = opts.settings ?? tracingSettings(env);
  if (!settings && !opts.exporter) return undefined;
  if (settings && !opts.exporter) opts.logger?.info({ endpoint: withoutUserInfo(settings.url), service: settings.resource['service.name'] }, 'traces are sent by OTLP');
  const exporter = new ScrubbingExporter(opts.exporter ?? new OTLPTraceExporter({ url: settings!.url }));
  // Batches in production (OTEL_BSP_* tune it); an injected exporter sees each span as it ends.
  const processor = opts.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter);
  const resource = Resource.default().merge(new Resource(settings?.resource ?? { 'service.name': 'gatehouse' }));
  const provider = new NodeTracerProvider({ resource, sampler: sampler(settings?.sampler), spanProcessors: [processor] });
  registerPropagation(provider);
  return {
    provider,
    tracer: provider.getTracer(TRACER_NAME),
    processor,
    resource: provider.resource,
    shutdown: () => provider.shutdown(),
    forceFlush: () => provider.forceFlush(),
  };
}

/** An endpoint as logged: a `user:password@` in it is not. */
function withoutUserInfo(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

let registered = false;

/**
 * Context across `await`s (AsyncLocalStorage) and the W3C `traceparent` propagator (or
 * OTEL_PROPAGATORS), process-wide and once: the Temporal interceptors inject and extract through the
 * global API. The first tracing of the process also becomes the global tracer provider.
 */
function registerPropagation(provider: NodeTracerProvider): void {
  if (registered) return;
  registered = true;
  provider.register();
}

export function sampler(s: SamplerSettings | undefined): Sampler {
  if (!s) return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  const root = s.name.endsWith('always_off') ? new AlwaysOffSampler() : s.name.endsWith('traceidratio') ? new TraceIdRatioBasedSampler(s.ratio) : new AlwaysOnSampler();
  return s.name.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}
