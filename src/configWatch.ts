import type { Logger } from 'pino';
import { CallerDirectory } from './auth';
import type { Config } from './config';
import { accessView, diffViews, viewHash, type AccessView } from './config/audit';
import { ConfigReloader } from './config/reload';
import type { LimitsGate } from './limits/gate';
import { createProviders, type ChatProvider } from './providers';
import type { Release } from './routes/release';

/** The parts of a running gateway a reloaded config file changes (the gateway's own `Parts`). */
export interface Reloadable {
  env: NodeJS.ProcessEnv;
  config: Config;
  callers: CallerDirectory;
  limits: LimitsGate;
  logger: Logger;
  release: Release;
  mock?: { url: string };
  /** The worker's provider clients (refilled when the providers change). */
  providers?: Map<string, ChatProvider>;
}

/**
 * The config file, re-read when it changes (and on SIGHUP): callers (key rotation), limits, models
 * and providers change without a restart, all or nothing; each load is recorded in the change log.
 */
export function watchConfig(file: string, p: Reloadable, demoKey: string | undefined, pollMs?: number): ConfigReloader {
  return new ConfigReloader({
    file,
    logger: p.logger,
    pollMs,
    apply: (next) => {
      const changed = p.providers && JSON.stringify(next.providers) !== JSON.stringify(p.config.providers);
      const providers = changed ? createProviders(next, p.env, p.mock?.url) : undefined; // may throw: nothing changed yet
      p.release.live.rebase(next); // throws when the live route table no longer fits: nothing changed
      p.callers = new CallerDirectory(next, demoKey);
      p.limits.update(next.limits);
      if (providers && p.providers) {
        p.providers.clear();
        for (const [name, provider] of providers) p.providers.set(name, provider);
      }
      p.config = next;
    },
    record: (config, reason, author) => {
      const view = accessView(config);
      const changesSince = (previous: unknown) => diffViews(previous as AccessView | undefined, view);
      p.release.recordConfig({ author, source: file, reason, hash: viewHash(view), view, changesSince });
    },
  });
}
