import type { Logger } from 'pino';
import type { CallerDirectory } from '../src/auth';
import type { Config } from '../src/config/schema';
import type { ChatProvider } from '../src/providers/types';
import type { Ledger } from '../src/store/ledger';

/** Everything activities touch; `src/worker.ts` wires the real ones, tests may wire others. */
export interface ActivityDeps {
  /** The current config (a function so a reload reaches new activities without a restart). */
  config: () => Config;
  /** API-key hash → caller, built from the same config. */
  callers: () => CallerDirectory;
  providers: Map<string, ChatProvider>;
  ledger: Ledger;
  logger: Logger;
}
