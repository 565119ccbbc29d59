import type { WorkflowClientInterceptor } from '@temporalio/client';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Tracing } from '.';

/**
 * The workflow-side interceptors (a span per workflow run and per activity it schedules, the context
 * passed on in headers): bundled into the workflow code only when tracing is on (workflowBundle.ts).
 */
export const WORKFLOW_INTERCEPTOR_MODULE = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

/** Whether prebuilt workflow code (GATEHOUSE_WORKFLOW_BUNDLE) carries the workflow interceptors. */
export function bundleIsTraced(code: string): boolean {
  return code.includes('interceptors-opentelemetry/lib/workflow-interceptors');
}

/** Prebuilt workflow code without the interceptors gives no workflow spans: said once at start. */
export function warnIfUntraced(bundlePath: string, logger: Logger): void {
  if (bundleIsTraced(readFileSync(bundlePath, 'utf8'))) return;
  logger.warn({ bundle: bundlePath }, 'GATEHOUSE_WORKFLOW_BUNDLE was built without tracing: no workflow spans, and activities start traces of their own (build it with --tracing, docs/operations.md)');
}

/** StartWorkflow spans, the context sent to the workflow in its headers; none when tracing is off. */
export function clientInterceptors(tracing: Tracing | undefined): { workflow: WorkflowClientInterceptor[] } | undefined {
  return tracing ? { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer: tracing.tracer })] } : undefined;
}

/**
 * RunActivity spans (local activities too), children of the workflow's StartActivity; and the sink
 * through which the sandbox hands its spans to this process's processor. Empty when tracing is off.
 */
export function workerTracing(tracing: Tracing | undefined): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  if (!tracing) return {};
  return {
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer: tracing.tracer }),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: { exporter: makeWorkflowExporter(tracing.processor, tracing.resource) },
  };
}
