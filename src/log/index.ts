import pino, { type Logger } from 'pino';

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

export function createLogger(env: NodeJS.ProcessEnv): Logger {
  return pino({
    name: 'gatehouse',
    level: env.GATEHOUSE_LOG_LEVEL ?? env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  });
}
