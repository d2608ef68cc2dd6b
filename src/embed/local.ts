import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ProgressInfo } from '@huggingface/transformers';
import { createThreadEmbedder } from './thread-embedder.ts';
import type { Embedder } from './types.ts';

/**
 * The local embedding provider: a sentence-transformers model (all-MiniLM-L6-v2 by default) run by
 * transformers.js and onnxruntime-node in one worker thread (embedding-thread.mjs, driven by
 * thread-embedder.ts), so tokenizing and inference never block the event loop that serves GraphQL. Only one worker: transformers.js 3.x crashed with two, and
 * onnxruntime already spreads one batch over the cores.
 */

/** A transformers.js loading event (`initiate`, `download`, `progress`, `progress_total`, `done`, `ready`). */
export type ModelProgressEvent = ProgressInfo;

export type LocalModelDtype = 'q8' | 'fp32';

export interface LocalEmbedderOptions {
  /**
   * Hugging Face model id; also the folder under `modelPath` the files are read from.
   * @default 'Xenova/all-MiniLM-L6-v2'
   */
  modelId?: string;
  /**
   * Folder of local models (transformers.js `env.localModelPath`): files are read from
   * `<modelPath>/<modelId>/`. Relative paths are resolved against the working directory.
   * @default './models'
   */
  modelPath?: string;
  /**
   * Where downloaded files are stored. Defaulting to `modelPath` makes a download land exactly where
   * a copied model would go, so a machine that fetched the model once starts offline afterwards.
   * @default modelPath
   */
  cacheDir?: string;
  /**
   * Which ONNX export to run: `q8` is the int8-quantized `onnx/model_quantized.onnx` (smaller, faster
   * on CPU, vectors within ~1% of fp32); `fp32` is `onnx/model.onnx`.
   * @default 'q8'
   */
  dtype?: LocalModelDtype;
  /**
   * Whether files missing locally may be downloaded from the Hugging Face Hub
   * (transformers.js `env.allowRemoteModels`). Set false on machines that must never reach out.
   * @default true
   */
  allowDownload?: boolean;
  /**
   * Most texts sent to the model at once; calls are merged and split to fill batches.
   * @default 32
   */
  batchSize?: number;
  /**
   * How long one `embed()` call may wait for its vectors (queueing included) before it fails with
   * EMBEDDING_TIMEOUT. A batch the worker does not answer within this time gets the worker restarted.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * How long loading may go without any sign of progress (a download event) before it fails with
   * EMBEDDING_UNAVAILABLE. Measured between events so that a slow but moving download is not cut off.
   * @default 60000
   */
  loadTimeoutMs?: number;
  /** Receives the loading and download events, for a progress bar or log lines. */
  onProgress?: (event: ModelProgressEvent) => void;
}

export const DEFAULT_LOCAL_MODEL = 'Xenova/all-MiniLM-L6-v2';

/** The options with every default applied and paths made absolute. */
export interface ResolvedLocalOptions {
  modelId: string;
  modelPath: string;
  cacheDir: string;
  dtype: LocalModelDtype;
  allowDownload: boolean;
  batchSize: number;
  timeoutMs: number;
  loadTimeoutMs: number;
}

export function resolveLocalOptions(options: LocalEmbedderOptions = {}): ResolvedLocalOptions {
  const modelPath = resolve(options.modelPath ?? './models');
  const positive = (value: number | undefined, fallback: number, name: string) => {
    const chosen = value ?? fallback;
    if (!Number.isFinite(chosen) || chosen <= 0) throw new RangeError(`${name} must be a positive number`);
    return chosen;
  };
  return {
    modelId: options.modelId ?? DEFAULT_LOCAL_MODEL,
    modelPath,
    cacheDir: options.cacheDir ? resolve(options.cacheDir) : modelPath,
    dtype: options.dtype ?? 'q8',
    allowDownload: options.allowDownload ?? true,
    batchSize: Math.floor(positive(options.batchSize, 32, 'batchSize')),
    timeoutMs: positive(options.timeoutMs, 30_000, 'timeoutMs'),
    loadTimeoutMs: positive(options.loadTimeoutMs, 60_000, 'loadTimeoutMs'),
  };
}

/** The files transformers.js needs for a text feature-extraction model, relative to the model folder. */
export function expectedModelFiles(dtype: LocalModelDtype = 'q8'): string[] {
  return [
    'config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    dtype === 'q8' ? 'onnx/model_quantized.onnx' : 'onnx/model.onnx',
  ];
}

/** Why loading failed, where the files were looked for, which are missing, and how to get them. */
function unavailableMessage(options: ResolvedLocalOptions, cause: string): string {
  const folders = [...new Set([options.modelPath, options.cacheDir])].map((dir) =>
    join(dir, options.modelId),
  );
  const files = expectedModelFiles(options.dtype);
  const missing = files.filter((file) => !folders.some((folder) => existsSync(join(folder, file))));
  const reason = cause.replace(/[.\s]+$/, '');
  const head = `The local embedding model ${options.modelId} (${options.dtype}) could not be loaded: ${reason}.`;
  const where = `It is read from ${folders.join(' or ')}, which must hold ${files.join(', ')}`;
  if (missing.length === 0) {
    return `${head} ${where}; all are present (if this persists, replace them with a fresh copy).`;
  }
  return [
    head,
    `${where} (missing: ${missing.join(', ')}).`,
    options.allowDownload
      ? 'Downloading them from the Hugging Face Hub did not work either.'
      : 'Downloading is disabled (allowDownload: false).',
    `To fix it, run \`engram models\` (npx tsx src/index.ts models) on a machine that reaches huggingface.co,` +
      ` or copy those files into ${folders[0]}.`,
    // Not a silent fallback: its vectors are another space (and size) than MiniLM's, so the index
    // cannot hold both; switching is a decision, with a new index.
    'A model that needs no download: EMBEDDING_PROVIDER=use-lite (512 dimensions, a separate vector index).',
  ].join(' ');
}

const EMBEDDING_THREAD_URL = new URL('./embedding-thread.mjs', import.meta.url);

/**
 * The local embedder. Nothing starts until the first `load()` or `embed()`; `load()` rejects with
 * EMBEDDING_UNAVAILABLE (naming the folder, the files and the fix) when the model cannot be loaded,
 * and a later call tries again, so copying the files in does not need a restart.
 */
export function createLocalEmbedder(options: LocalEmbedderOptions = {}): Embedder {
  const resolved = resolveLocalOptions(options);
  return createThreadEmbedder({
    model: `local:${resolved.modelId}`,
    url: EMBEDDING_THREAD_URL,
    workerData: {
      modelId: resolved.modelId,
      modelPath: resolved.modelPath,
      cacheDir: resolved.cacheDir,
      dtype: resolved.dtype,
      allowDownload: resolved.allowDownload,
    },
    options: resolved,
    unavailable: (cause) => unavailableMessage(resolved, cause),
    onProgress: options.onProgress as ((event: unknown) => void) | undefined,
  });
}
