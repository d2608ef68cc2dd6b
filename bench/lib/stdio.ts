/**
 * Where a benchmark's lines go: progress to stderr, so stdout holds only the report (a table and,
 * last, one JSON line that scripts read).
 */

/** Writes one progress line to stderr. */
export const progress = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** Writes one report line to stdout. */
export const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
