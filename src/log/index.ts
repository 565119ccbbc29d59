import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { EnvError } from '../config/envError';

/** Paths that may carry credentials: pino replaces their values before anything is written. */
export const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'apiKey',
  '*.apiKey',
  'key',
  '*.key',
];

export type LogFormat = 'json' | 'pretty';

/**
 * GATEHOUSE_LOG_FORMAT (`json` | `pretty`) when set; otherwise readable lines for a person at a
 * terminal, and JSON (one object a line) for whatever collects a pipe or a file.
 */
export function logFormat(env: NodeJS.ProcessEnv, stdoutIsTty: boolean): LogFormat {
  const chosen = env.GATEHOUSE_LOG_FORMAT?.trim().toLowerCase();
  if (chosen === 'json' || chosen === 'pretty') return chosen;
  if (chosen) throw new EnvError(`GATEHOUSE_LOG_FORMAT must be json or pretty, not "${env.GATEHOUSE_LOG_FORMAT}"`);
  return stdoutIsTty ? 'pretty' : 'json';
}

export interface LoggerOptions {
  /** Default: whether stdout is a terminal. */
  tty?: boolean;
  /** Default: stdout. */
  destination?: DestinationStream;
}

export function createLogger(env: NodeJS.ProcessEnv, opts: LoggerOptions = {}): Logger {
  const tty = opts.tty ?? process.stdout.isTTY === true;
  const options = {
    name: 'gatehouse',
    level: env.GATEHOUSE_LOG_LEVEL ?? env.LOG_LEVEL ?? 'info',
    // Redaction happens in pino, before the line reaches either format.
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  if (logFormat(env, tty) === 'json') return opts.destination ? pino(options, opts.destination) : pino(options);
  // In this thread and synchronous (no worker transport): a line is out before the process exits.
  const stream = pretty({
    colorize: tty && !env.NO_COLOR,
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,name',
    // pino-pretty shows a `caller` field (for it, a code location) as `<…>`: here it is the API caller.
    customPrettifiers: { caller: (value) => `caller=${String(value)}` },
    destination: opts.destination ?? 1,
  });
  return pino(options, stream);
}
