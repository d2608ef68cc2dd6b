import type { ProgressListener } from '../search/scan-facts.ts';

/** A progress bar on a terminal, a log line every 10% otherwise. */
export async function progressReporter(
  label: string,
  unit: string,
): Promise<{ update: ProgressListener; stop(): void }> {
  if (process.stderr.isTTY) {
    const { SingleBar, Presets } = await import('cli-progress');
    const bar = new SingleBar(
      {
        format: `${label} [{bar}] {percentage}% {value}/{total} ${unit}, eta {eta}s`,
        stream: process.stderr,
      },
      Presets.shades_classic,
    );
    let started = false;
    return {
      update: (done, total) => {
        if (!started) bar.start(total, 0);
        started = true;
        bar.setTotal(total);
        bar.update(done);
      },
      stop: () => bar.stop(),
    };
  }
  let lastTenth = -1;
  return {
    update: (done, total) => {
      const tenth = total ? Math.floor((done / total) * 10) : 10;
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      process.stderr.write(`${label}: ${done}/${total} ${unit} (${tenth * 10}%)\n`);
    },
    stop: () => {},
  };
}
