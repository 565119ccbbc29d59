import { IllegalStateError } from '@temporalio/common';
import { DefaultLogger, Runtime, type LogLevel, type MetricsExporterConfig } from '@temporalio/worker';
import type { Logger } from 'pino';

let installed = false;

/**
 * Routes the Temporal SDK's own logs into pino at a chosen level (default WARN), and serves the SDK's
 * worker metrics (Prometheus, its own listener) when `metricsAddress` is given. The runtime can be
 * installed once per process, before the first connection; later calls are no-ops.
 */
export function installTemporalRuntime(logger: Logger, level: string | undefined, metricsAddress?: string): void {
  if (installed) return;
  const metrics = temporalMetricsExporter(metricsAddress); // a bad address stops the start, before anything is installed
  installed = true;
  const lvl = (level ?? 'WARN').toUpperCase() as LogLevel;
  const install = (withMetrics?: MetricsExporterConfig) =>
    Runtime.install({
      // The gateway stops its parts in order on SIGINT/SIGTERM; the SDK must not race it.
      shutdownSignals: [],
      // Core (Rust) logs go through the same logger and level instead of straight to stderr.
      telemetryOptions: { logging: { filter: { core: lvl, other: lvl }, forward: {} }, ...(withMetrics ? { metrics: withMetrics } : {}) },
      logger: new DefaultLogger(lvl, (entry) => {
        const fn = entry.level === 'ERROR' ? logger.error : entry.level === 'WARN' ? logger.warn : logger.debug;
        fn.call(logger, { ...entry.meta, temporal: true }, entry.message);
      }),
    });
  try {
    install(metrics);
  } catch (err) {
    // Already instantiated by an earlier connection in this process: keep its logger.
    if (err instanceof IllegalStateError || !metrics) return;
    // The metrics listener could not start (e.g. the port is taken): the gateway runs without it.
    logger.warn({ err: (err as Error).message, address: metricsAddress }, 'Temporal SDK metrics listener did not start; running without it');
    try {
      install();
    } catch {
      // As above.
    }
  }
}

/**
 * GATEHOUSE_TEMPORAL_METRICS_ADDRESS: `port` (on 127.0.0.1) or `host:port`; absent, no SDK metrics.
 * Counters end in `_total` and durations are in seconds, like the gateway's own series.
 */
export function temporalMetricsExporter(address: string | undefined): MetricsExporterConfig | undefined {
  if (!address) return undefined;
  const bindAddress = /^\d{1,5}$/.test(address) ? `127.0.0.1:${address}` : address;
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(bindAddress);
  if (!m || Number(m[2]) > 65535) throw new Error(`GATEHOUSE_TEMPORAL_METRICS_ADDRESS must be a port or host:port, not "${address}"`);
  return { prometheus: { bindAddress, countersTotalSuffix: true, useSecondsForDurations: true } };
}
