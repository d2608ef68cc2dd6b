import { pino } from 'pino';
import type { Env } from '../env.ts';

export type Logger = pino.Logger;

/** Structured JSON logs on stdout, one line per event. */
export function createLogger(env: Pick<Env, 'LOG_LEVEL'>): Logger {
  return pino({ level: env.LOG_LEVEL, base: { service: 'engram' } });
}
