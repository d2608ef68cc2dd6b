import type { Observation } from './run.ts';
import type { Expect } from './types.ts';

/** A GraphQL error as it arrives. */
export interface WireError {
  message?: unknown;
  extensions?: { code?: unknown };
}

/** What leaks the internals: stack frames, SQL, driver codes, file paths. */
const LEAKS: [string, RegExp][] = [
  ['stack trace', /\bat (?:async )?[\w$.<>[\]]+ \(|\bat (?:file:\/\/)?\/[\w/.@-]+:\d+:\d+/g],
  ['SQL text', /\b(?:SELECT|INSERT|UPDATE|DELETE)\b[^"]{0,200}?\b(?:FROM|INTO|SET|WHERE)\b/g],
  ['prisma', /prisma/gi],
  ['SQLite code', /SQLITE_[A-Z]+/g],
  ['MySQL code', /\bER_[A-Z_]{3,}/g],
  ['Prisma code', /\bP[1-6]0\d\d\b/g],
  ['file path', /\/work\/|\/home\/|\/root\/|node_modules|file:\/\//g],
];

/** Every GraphQL error in the answer (HTTP bodies, SSE events, WebSocket error and next messages). */
export function errorsOf(observation: Observation): WireError[] {
  const errors: WireError[] = [];
  const collect = (body: unknown) => {
    if (Array.isArray(body)) {
      for (const item of body) collect(item);
      return;
    }
    if (!body || typeof body !== 'object') return;
    const record = body as Record<string, unknown>;
    if (Array.isArray(record.errors)) errors.push(...(record.errors as WireError[]));
    if (record.type === 'error' && Array.isArray(record.payload))
      errors.push(...(record.payload as WireError[]));
    if (record.type === 'next' && record.payload) collect(record.payload);
  };
  for (const body of observation.bodies) collect(body);
  return errors;
}

export function codeOf(error: WireError | undefined): string | undefined {
  return typeof error?.extensions?.code === 'string' ? error.extensions.code : undefined;
}

/** The answer without its `data`, which legitimately echoes stored hostile strings. */
function scannable(observation: Observation): string {
  if (observation.bodies.length === 0) {
    const type = String(observation.headers['content-type'] ?? '');
    return type.includes('text/html') ? '' : observation.text;
  }
  return observation.bodies
    .map((body) => {
      if (!body || typeof body !== 'object' || Array.isArray(body)) return JSON.stringify(body);
      const { data: _data, payload, ...rest } = body as Record<string, unknown>;
      const inner =
        payload && typeof payload === 'object' && !Array.isArray(payload)
          ? { ...(payload as Record<string, unknown>), data: undefined }
          : payload;
      return JSON.stringify({ ...rest, payload: inner });
    })
    .join('\n');
}

function at(value: unknown, path: string): unknown {
  if (path === '') return value;
  let current = value;
  for (const key of path.split('.')) {
    if (current === null || current === undefined || typeof current !== 'object') return current;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function isEmpty(value: unknown): boolean {
  if (value === null || value === 0) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (value && typeof value === 'object') {
    const typename = (value as { __typename?: unknown }).__typename;
    return typeof typename === 'string' && typename.endsWith('Error');
  }
  return false;
}

/** `actual` has every key of `expected` (recursively); arrays match by length and position. */
export function partialMatch(actual: unknown, expected: unknown): boolean {
  if (expected === null || typeof expected !== 'object') return actual === expected;
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((item, index) => partialMatch(actual[index], item))
    );
  }
  if (!actual || typeof actual !== 'object') return false;
  return Object.entries(expected).every(([key, value]) =>
    partialMatch((actual as Record<string, unknown>)[key], value),
  );
}

/** A short description of the answer for failure messages and the report. */
export function describe(observation: Observation): string {
  const errors = errorsOf(observation);
  const first = errors[0];
  const parts = [
    observation.ws
      ? `ws close=${observation.ws.closeCode ?? 'none'} open=${observation.ws.open} messages=${observation.ws.messages.length}`
      : `status=${observation.status ?? 'none'}`,
    first
      ? `code=${codeOf(first) ?? 'none'} message=${JSON.stringify(String(first.message ?? '').slice(0, 120))}`
      : '',
    !first && observation.bodies.length > 0 && !observation.ws
      ? `body=${JSON.stringify(observation.bodies[0]).slice(0, 160)}`
      : '',
    observation.transportError ? `transport=${observation.transportError}` : '',
    observation.timedOut ? 'timed out' : '',
    `${Math.round(observation.ms)}ms`,
  ];
  return parts.filter(Boolean).join(' ');
}

export interface Verdict {
  problems: string[];
  fiveXX: boolean;
  internal: boolean;
}

/**
 * The invariants every answer must hold (no 5xx but a coded 503, no INTERNAL_SERVER_ERROR, every
 * error coded, nothing leaked, answered in time) and the case's own expectations.
 */
export function judge(observation: Observation, expect: Expect, sent: string): Verdict {
  const problems: string[] = [];
  const errors = errorsOf(observation);
  const codes = errors.map(codeOf);
  const maxMs = expect.maxMs ?? 5000;
  if (observation.timedOut && !expect.silenceOk) problems.push(`no answer within the bound`);
  if (observation.ms > maxMs && !expect.silenceOk)
    problems.push(`took ${Math.round(observation.ms)} ms (bound ${maxMs})`);
  const fiveXX = observation.statuses.some(
    (status) => status >= 500 && !(status === 503 && codes.includes('DATABASE_UNAVAILABLE')),
  );
  if (fiveXX) problems.push(`HTTP ${observation.statuses.filter((status) => status >= 500).join(',')}`);
  const internal = codes.includes('INTERNAL_SERVER_ERROR');
  if (internal) problems.push('INTERNAL_SERVER_ERROR');
  if (errors.some((error) => !codeOf(error))) problems.push('a GraphQL error without extensions.code');
  const text = scannable(observation);
  for (const [label, pattern] of LEAKS) {
    const leaked = [...text.matchAll(pattern)]
      .map((match) => match[0])
      .filter((found) => !sent.includes(found));
    if (leaked.length > 0) problems.push(`leaks ${label}: ${JSON.stringify(leaked[0])}`);
  }
  if (observation.transportError && !expect.silenceOk && !observation.ws)
    problems.push(`transport error ${observation.transportError} before any answer`);

  if (expect.status && !(observation.status !== null && expect.status.includes(observation.status)))
    problems.push(`expected status ${expect.status.join('|')}`);
  if (expect.codes && !codes.some((code) => code && expect.codes?.includes(code)))
    problems.push(`expected code ${expect.codes.join('|')}`);
  if (expect.refused) {
    const coded = codes.some(
      (code) => code && code !== 'INTERNAL_SERVER_ERROR' && code !== 'DATABASE_UNAVAILABLE',
    );
    const data = (observation.bodies[0] as { data?: unknown } | undefined)?.data;
    if (!coded && !(data !== undefined && isEmpty(at(data, expect.refused.path))))
      problems.push(
        `expected a refusal (null, empty, a typed user error or a coded error) at ${expect.refused.path || 'data'}`,
      );
  }
  if (expect.data !== undefined) {
    const data = (observation.bodies[0] as { data?: unknown } | undefined)?.data;
    if (!partialMatch(data, expect.data))
      problems.push(`expected data ${JSON.stringify(expect.data).slice(0, 160)}`);
  }
  if (expect.noCorsHeader && observation.headers['access-control-allow-origin'] !== undefined)
    problems.push(`access-control-allow-origin: ${observation.headers['access-control-allow-origin']}`);
  if (expect.bodyNotMatch) {
    const found = observation.text.match(new RegExp(expect.bodyNotMatch));
    if (found) problems.push(`body shows ${JSON.stringify(found[0])}`);
  }
  if (observation.ws) {
    const { closeCode, open, messages } = observation.ws;
    if (expect.closeCodes && !(closeCode !== null && expect.closeCodes.includes(closeCode)))
      problems.push(`expected close ${expect.closeCodes.join('|')}`);
    for (const id of expect.wsErrorFor ?? []) {
      if (!messages.some((message) => message.type === 'error' && message.id === id))
        problems.push(`expected an error message for operation ${id}`);
    }
    if (expect.wsOpen && !open) problems.push('expected the socket to stay open');
  }
  return { problems, fiveXX, internal };
}
