import { existsSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import {
  createLocalEmbedder,
  expectedModelFiles,
  type LocalEmbedderOptions,
  type ModelProgressEvent,
  resolveLocalOptions,
} from './local.ts';
import { EmbeddingError } from './types.ts';

/**
 * `engram models`: makes sure the local embedding model is on disk and works, downloading it when it
 * is missing, so that a server can later start without network access.
 */

export interface PrefetchOptions extends LocalEmbedderOptions {
  /**
   * Where the plain progress lines go (used when stderr is not a terminal, and for the summary).
   * @default a line on stderr
   */
  log?: (line: string) => void;
}

export interface PrefetchResult {
  /** The model id as stored beside embeddings (`local:<modelId>`). */
  model: string;
  dimension: number;
  /** Loading (and downloading) plus the probe embedding. */
  millis: number;
}

const PROBE = 'Engram remembers what people tell their assistant.';

function megabytes(bytes: number): string {
  return (bytes / 1_048_576).toFixed(1);
}

function size(bytes: number): string {
  return bytes < 1_048_576 ? `${Math.ceil(bytes / 1024)} kB` : `${megabytes(bytes)} MB`;
}

/** A byte-count bar on a terminal, one line per fetched file elsewhere (logs, CI). */
function progressReporter(log: (line: string) => void, label: string) {
  if (process.stderr.isTTY) {
    let bar: cliProgress.SingleBar | undefined;
    return {
      onProgress(event: ModelProgressEvent) {
        if (event.status !== 'progress_total' || event.total <= 0) return;
        if (!bar) {
          bar = new cliProgress.SingleBar(
            {
              format: `${label} [{bar}] {percentage}% | {loadedMb}/{totalMb} MB`,
              stream: process.stderr,
              hideCursor: true,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(event.total, 0, { loadedMb: '0.0', totalMb: megabytes(event.total) });
        }
        bar.setTotal(event.total);
        bar.update(event.loaded, { loadedMb: megabytes(event.loaded), totalMb: megabytes(event.total) });
      },
      stop: () => bar?.stop(),
    };
  }
  const sizes = new Map<string, number>();
  return {
    onProgress(event: ModelProgressEvent) {
      if (event.status === 'progress') sizes.set(event.file, event.total);
      if (event.status === 'done') {
        const bytes = sizes.get(event.file);
        log(`${label}: ${event.file}${bytes ? ` (${size(bytes)})` : ''}`);
      }
    },
    stop() {},
  };
}

/**
 * Loads the local model (downloading what is missing, unless `allowDownload` is false), embeds a
 * probe sentence, checks the vector is finite and unit-length, and closes the model again.
 * Rejects with an EmbeddingError that says what is missing and how to get it.
 */
export async function prefetchModel(options: PrefetchOptions = {}): Promise<PrefetchResult> {
  const started = performance.now();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const resolved = resolveLocalOptions(options);
  const folder = join(resolved.cacheDir, resolved.modelId);
  const present = [resolved.modelPath, resolved.cacheDir].some((dir) =>
    expectedModelFiles(resolved.dtype).every((file) => existsSync(join(dir, resolved.modelId, file))),
  );
  // transformers.js reports local reads with the same events as downloads: say which it is.
  const label = present ? `Loading ${resolved.modelId}` : `Downloading ${resolved.modelId}`;
  log(present ? `${label} (${resolved.dtype}) from disk` : `${label} (${resolved.dtype}) into ${folder}`);
  // Reading local files takes no time worth a bar.
  const reporter = present ? { onProgress() {}, stop() {} } : progressReporter(log, label);
  const embedder = createLocalEmbedder({
    ...options,
    onProgress: (event) => {
      reporter.onProgress(event);
      options.onProgress?.(event);
    },
  });
  try {
    const dimension = await embedder.load().finally(() => reporter.stop());
    const [vector] = await embedder.embed([PROBE], 'document');
    if (!vector || vector.length !== dimension || !vector.every(Number.isFinite)) {
      throw new EmbeddingError(`${embedder.model} returned a malformed probe vector`, 'EMBEDDING_FAILED');
    }
    const norm = Math.hypot(...vector);
    if (Math.abs(norm - 1) > 1e-3) {
      throw new EmbeddingError(
        `${embedder.model} returned a vector of length ${norm}, not 1`,
        'EMBEDDING_FAILED',
      );
    }
    const millis = Math.round(performance.now() - started);
    log(`${embedder.model} works: ${dimension}-dimensional vectors, ready in ${millis} ms`);
    return { model: embedder.model, dimension, millis };
  } finally {
    await embedder.close();
  }
}
