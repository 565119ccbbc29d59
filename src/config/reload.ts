import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Logger } from 'pino';
import { ConfigError, parseConfigText } from './load';
import type { Config } from './schema';

export type ReloadResult = 'applied' | 'unchanged' | 'rejected';

export interface ConfigReloaderOptions {
  file: string;
  logger: Logger;
  /** Puts a parsed, valid config in force; throws to refuse it (nothing may have changed then). */
  apply: (next: Config) => void;
  /** Records a config in the change log (who: the file's owner). */
  record: (config: Config, reason: string, author: string) => void;
  /** How often the file is looked at (a stat); default 1 s. */
  pollMs?: number;
}

/**
 * Re-reads the config file when it changes (polled by stat: inode, size, mtime; also on SIGHUP
 * through `reload(true)`), so caller keys, limits, models and providers change without a restart.
 * All or nothing: a file that does not parse, is not a valid config, or does not fit the live route
 * table is refused as a whole; the previous config stays in force and the log says why.
 */
export class ConfigReloader {
  private signature: string;
  private textHash: string;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly o: ConfigReloaderOptions) {
    this.signature = signatureOf(o.file);
    this.textHash = hashText(readText(o.file) ?? '');
    o.record(parseConfigText(readText(o.file) ?? '', o.file), 'config file loaded at start', authorOf(o.file));
    this.timer = setInterval(() => this.reload(false), o.pollMs ?? 1000);
    this.timer.unref();
  }

  /** Looks at the file now; `force` (SIGHUP) re-reads it even if its stat did not change. */
  reload(force: boolean): ReloadResult {
    const signature = signatureOf(this.o.file);
    if (!force && signature === this.signature) return 'unchanged';
    this.signature = signature;
    const text = readText(this.o.file);
    if (text === undefined) return this.refuse(['cannot read the file']);
    const textHash = hashText(text);
    if (textHash === this.textHash) return 'unchanged';
    let next: Config;
    try {
      next = parseConfigText(text, this.o.file);
      this.o.apply(next);
    } catch (err) {
      return this.refuse(err instanceof ConfigError ? err.problems : [(err as Error).message]);
    }
    this.textHash = textHash;
    this.o.record(next, 'config file reloaded', authorOf(this.o.file));
    this.o.logger.info({ file: this.o.file }, 'config file reloaded: callers, limits, models and providers updated');
    return 'applied';
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private refuse(problems: string[]): ReloadResult {
    this.o.logger.error({ file: this.o.file, problems }, 'config file change refused; the previous config stays in force');
    return 'rejected';
  }
}

function signatureOf(file: string): string {
  const st = statSync(file, { throwIfNoEntry: false });
  return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : 'missing';
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Who changed the file, as far as a file can say: its owner (an atomic replace makes that the writer). */
export function authorOf(file: string): string {
  const uid = statSync(file, { throwIfNoEntry: false })?.uid;
  if (uid === undefined) return 'config file';
  const name = uid === process.getuid?.() ? userInfo().username : `uid ${uid}`;
  return `${name} (config file owner)`;
}
