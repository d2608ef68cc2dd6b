import { pino } from 'pino';

export type Logger = pino.Logger;

/** What {@link createLogger} needs (LOG_LEVEL). */
export interface LogOptions {
  /** pino level. @default info */
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** Structured JSON logs on stdout, one line per event. */
export function createLogger(options: LogOptions): Logger {
  return pino({ level: options.level, base: { service: 'engram' } });
}
