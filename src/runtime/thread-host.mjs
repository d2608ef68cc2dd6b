// The thread side of thread-client.ts: answers its calls. Plain JavaScript so that a thread can
// import it before any TypeScript loader is in place (Node starts a Worker with its own loader).
import { parentPort } from 'node:worker_threads';

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);

/** A result to be moved to the main thread instead of copied; see {@link moved}. */
class Moved {
  /**
   * @param {unknown} value
   * @param {readonly import('node:worker_threads').Transferable[]} transfer
   */
  constructor(value, transfer) {
    this.value = value;
    this.transfer = transfer;
  }
}

/**
 * Marks a result whose buffers are moved, not copied, to the main thread (they become unusable
 * here), for large results such as a batch of vectors.
 * @param {unknown} value
 * @param {readonly import('node:worker_threads').Transferable[]} transfer
 */
export function moved(value, transfer) {
  return new Moved(value, transfer);
}

/**
 * Errors cross to the main thread as plain data; a fetch failure's reason (DNS, refused, TLS) is
 * only in its `cause`, and it is the useful part.
 * @param {unknown} error
 * @returns {import('./thread-client.ts').RemoteError}
 */
function describe(error) {
  if (!(error instanceof Error)) return { message: String(error) };
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  const message = cause ? `${error.message} (${cause})` : error.message;
  return { message, name: error.name, stack: error.stack };
}

/**
 * Posts an event outside any answer; the client hands it to its `onEvent`.
 * @param {unknown} event
 */
export function emit(event) {
  port.postMessage({ event });
}

/**
 * Answers the client's calls with `calls[op](...args)`, awaited when it returns a promise. A call
 * that throws is answered with the error, and the thread goes on serving.
 * @param {Record<string, (...args: any[]) => unknown>} calls
 */
export function serveThread(calls) {
  /** @param {unknown} result @param {number} id */
  const answer = (result, id) => {
    if (result instanceof Moved) port.postMessage({ id, result: result.value }, result.transfer);
    else port.postMessage({ id, result });
  };
  /** @param {unknown} error @param {number} id */
  const refuse = (error, id) => port.postMessage({ id, error: describe(error) });
  port.on('message', (/** @type {import('./thread-client.ts').ThreadRequest} */ request) => {
    const { id, op, args } = request;
    try {
      const call = calls[op];
      if (!call) throw new Error(`this thread serves no call named ${op}`);
      const result = call(...args);
      if (result instanceof Promise) {
        result.then(
          (value) => answer(value, id),
          (error) => refuse(error, id),
        );
      } else answer(result, id);
    } catch (error) {
      refuse(error, id);
    }
  });
}
