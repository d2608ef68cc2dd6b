import { z } from 'zod';

/** `true`/`false`, `1`/`0` or `yes`/`no`. */
export const booleanish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** A comma-separated list; empty entries are dropped. */
export const commaList = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  );

export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
