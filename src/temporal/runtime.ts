import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from 'pino';

let installed = false;

/**
 * Routes the Temporal SDK's own logs into pino at a chosen level (default WARN). The runtime can
 * be installed once per process, before the first connection; later calls are no-ops.
 */
export function installTemporalRuntime(logger: Logger, level: string | undefined): void {
  if (installed) return;
  installed = true;
  const lvl = (level ?? 'WARN').toUpperCase() as LogLevel;
  try {
    Runtime.install({
      // The gateway stops its parts in order on SIGINT/SIGTERM; the SDK must not race it.
      shutdownSignals: [],
      // Core (Rust) logs go through the same logger and level instead of straight to stderr.
      telemetryOptions: { logging: { filter: { core: lvl, other: lvl }, forward: {} } },
      logger: new DefaultLogger(lvl, (entry) => {
        const fn = entry.level === 'ERROR' ? logger.error : entry.level === 'WARN' ? logger.warn : logger.debug;
        fn.call(logger, { ...entry.meta, temporal: true }, entry.message);
      }),
    });
  } catch {
    // Already instantiated by an earlier connection in this process: keep its logger.
  }
}
