import { type Agent, request } from 'node:http';
import { BENCH_AUTHORIZATION } from './env.ts';

/** One kind of request the load generator sends. */
export interface Scenario {
  name: string;
  /** A fresh JSON body for each request (e.g. with a random entity). */
  body: () => string;
  /** Why a response is wrong, or null when it is right. */
  check: (status: number, text: string, body: string) => string | null;
  /** The Authorization header for a body (e.g. the token of its entity). @default the bench API key */
  authorization?: (body: string) => string;
}

export interface PhaseResult {
  requests: number;
  /** Wall time from the first request sent to the last response received. */
  elapsedMs: number;
  /** Sorted ascending. */
  latenciesMs: Float64Array;
  failures: number;
  firstFailure: string | null;
}

interface Target {
  agent: Agent;
  port: number;
}

/**
 * POSTs one GraphQL body and resolves with the status and whole response text.
 * node:http with a keep-alive agent costs the load generator less CPU than fetch, which matters
 * when the generator and the server share two cores.
 */
export function postGraphql(
  target: Target,
  body: string,
  authorization = BENCH_AUTHORIZATION,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent: target.agent,
        host: '127.0.0.1',
        port: target.port,
        path: '/graphql',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          accept: 'application/graphql-response+json, application/json',
          // Engram runs in production mode and wants its API key; PostGraphile ignores it.
          authorization,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Keeps `concurrency` requests in flight until `durationMs` has passed, then waits for the
 * ones still open, so the phase ends with the server idle. Stops early at the first failure.
 */
export async function runPhase(
  target: Target,
  scenario: Scenario,
  options: { concurrency: number; durationMs: number },
): Promise<PhaseResult> {
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | null = null;
  const started = performance.now();
  const deadline = started + options.durationMs;

  const worker = async () => {
    while (failures === 0 && performance.now() < deadline) {
      const body = scenario.body();
      const sent = performance.now();
      let problem: string | null;
      try {
        const { status, text } = await postGraphql(target, body, scenario.authorization?.(body));
        latencies.push(performance.now() - sent);
        problem = scenario.check(status, text, body);
      } catch (error) {
        problem = `request failed: ${String(error)}`;
      }
      if (problem) {
        failures += 1;
        firstFailure ??= problem;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));

  const elapsedMs = performance.now() - started;
  return {
    requests: latencies.length,
    elapsedMs,
    latenciesMs: Float64Array.from(latencies).sort(),
    failures,
    firstFailure,
  };
}

/** Nearest-rank percentile of ascending values. */
export function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[rank - 1]!;
}
