/**
 * What every benchmark's option parser does with `node:util` parseArgs' values: `--help` prints the
 * usage and exits 0; a bad value prints the problem and the usage and exits 2.
 */
export function optionHelpers<V extends Record<string, unknown>>(
  usage: string,
  values: V,
  defaultMax: number,
) {
  if (values.help) {
    process.stdout.write(usage);
    process.exit(0);
  }
  const fail = (message: string): never => {
    process.stderr.write(`${message}\n\n${usage}`);
    process.exit(2);
  };
  /** An integer option in [min, max], or `fallback` when it is not given. */
  const int = (name: keyof V & string, fallback: number, min: number, max = defaultMax): number => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      fail(`--${name} must be an integer from ${min} to ${max}, got ${String(raw)}`);
    }
    return value;
  };
  return { fail, int };
}
