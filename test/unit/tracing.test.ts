import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { ApplicationFailure } from '@temporalio/common';
import { createTracing, sampler } from '../../src/tracing';
import { withProviderSpan } from '../../src/tracing/providerSpan';
import { resourceAttributes, samplerSettings, tracingSettings } from '../../src/tracing/settings';
import { clientInterceptors, workerTracing } from '../../src/tracing/temporal';

const ENDPOINT = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' };

describe('tracing settings (the standard OTEL_* variables)', () => {
  it('off without an endpoint, with OTEL_SDK_DISABLED=true, or with OTEL_TRACES_EXPORTER=none', () => {
    assert.equal(tracingSettings({}), undefined);
    assert.equal(tracingSettings({ ...ENDPOINT, OTEL_SDK_DISABLED: 'true' }), undefined);
    assert.equal(tracingSettings({ ...ENDPOINT, OTEL_TRACES_EXPORTER: 'none' }), undefined);
  });

  it('tracing off installs nothing: no tracing, no client interceptor, no worker interceptor or sink', () => {
    assert.equal(createTracing({ OTEL_SERVICE_NAME: 'x' }), undefined);
    assert.equal(clientInterceptors(undefined), undefined);
    assert.deepEqual(workerTracing(undefined), {});
  });

  it('the general endpoint gets /v1/traces; the traces endpoint is used as given', () => {
    assert.equal(tracingSettings(ENDPOINT)?.url, 'http://collector:4318/v1/traces');
    assert.equal(tracingSettings({ ...ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://tempo:4318/otlp/v1/traces' })?.url, 'https://tempo:4318/otlp/v1/traces');
  });

  it('refuses at start what it cannot honour: gRPC, another exporter, an unknown sampler, a bad ratio, a non-URL', () => {
    assert.throws(() => tracingSettings({ ...ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), /grpc is not supported/);
    assert.throws(() => tracingSettings({ ...ENDPOINT, OTEL_TRACES_EXPORTER: 'zipkin' }), /otlp or none/);
    assert.throws(() => samplerSettings({ OTEL_TRACES_SAMPLER: 'sometimes' }), /must be one of/);
    assert.throws(() => samplerSettings({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' }), /0 to 1/);
    assert.throws(() => tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }), /http\(s\) URL/);
  });

  it('samplers: parent-based always-on by default; ratio and parent-based variants as named', () => {
    assert.deepEqual(samplerSettings({}), { name: 'parentbased_always_on', ratio: 1 });
    assert.match(sampler(samplerSettings({})).toString(), /^ParentBased\{root=AlwaysOnSampler/);
    const ratio = sampler(samplerSettings({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }));
    assert.match(ratio.toString(), /^ParentBased\{root=TraceIdRatioBased\{0.25\}/);
    assert.equal(sampler(samplerSettings({ OTEL_TRACES_SAMPLER: 'always_off' })).toString(), 'AlwaysOffSampler');
  });

  it('service.name: OTEL_SERVICE_NAME, else OTEL_RESOURCE_ATTRIBUTES, else gatehouse', () => {
    assert.deepEqual(resourceAttributes({}), { 'service.name': 'gatehouse' });
    assert.deepEqual(resourceAttributes({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=gw-eu,deployment.environment=prod%20eu' }), { 'service.name': 'gw-eu', 'deployment.environment': 'prod eu' });
    assert.equal(resourceAttributes({ OTEL_SERVICE_NAME: 'gw', OTEL_RESOURCE_ATTRIBUTES: 'service.name=other' })['service.name'], 'gw');
  });
});

describe('spans as exported', () => {
  const exporter = new InMemorySpanExporter();
  const tracing = createTracing({}, { exporter })!;

  it('keep only allow-listed attributes, and no error message, exception message or stack', () => {
    exporter.reset();
    const span = tracing.tracer.startSpan('x', { attributes: { 'gen_ai.prompt': 'the prompt text', 'gatehouse.model': 'small', 'http.request.header.authorization': 'Bearer k' } });
    span.recordException(new Error('upstream said: the prompt text'));
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'the prompt text' });
    span.end();
    const [out] = exporter.getFinishedSpans();
    assert.deepEqual(out!.attributes, { 'gatehouse.model': 'small' });
    assert.deepEqual(out!.status, { code: SpanStatusCode.ERROR });
    assert.deepEqual(out!.events.map((e) => [e.name, e.attributes]), [['exception', { 'exception.type': 'Error' }]]);
  });

  it('a failed provider call says its failure type, outcome and upstream status, not its message', async () => {
    exporter.reset();
    const failure = ApplicationFailure.create({ type: 'ProviderRateLimited', message: 'rate limited on "the prompt text"', details: [{ status: 429 }] });
    const fields = { operation: 'chat' as const, provider: 'openai', kind: 'openai', model: 'small', upstream: 'gpt-4o-mini', route: 'chat', requestId: 'req-1', attempt: 2 };
    await assert.rejects(withProviderSpan(tracing.tracer, fields, () => Promise.reject(failure), () => ({}), () => false), failure);
    const [span] = exporter.getFinishedSpans();
    assert.equal(span!.name, 'chat gpt-4o-mini');
    assert.equal(span!.attributes['gatehouse.outcome'], 'error');
    assert.equal(span!.attributes['error.type'], 'ProviderRateLimited');
    assert.equal(span!.attributes['gatehouse.upstream_status'], 429);
    assert.ok(!JSON.stringify(span!.attributes).includes('prompt text'));
  });

  it('without a tracer the call just runs', async () => {
    assert.equal(await withProviderSpan(undefined, { operation: 'chat', provider: 'p', model: 'm', upstream: 'u', requestId: 'r' }, async () => 42, () => ({}), () => false), 42);
  });
});
