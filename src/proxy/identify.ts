import type { IncomingMessage } from 'node:http';
import type { Principal } from '../auth/principal.ts';
import { type Body, header, type Provider, type ProxyError } from './types.ts';

/** Whose call it is: where its turns are recorded and whose memory is recalled. */
export interface CallOwner {
  entity: string;
  process: string;
  /** The session uuid to record in; null starts a new session per call. */
  session: string | null;
}

const MAX_ID = 255;

/**
 * The entity, process and session of a call: the `X-Engram-*` headers first, then the body's own
 * user id, then the entity token's entity. An entity token may only name its own entity.
 */
export function identify(
  req: IncomingMessage,
  body: Body,
  principal: Principal,
  provider: Provider,
  defaultProcess: string,
): CallOwner | ProxyError {
  const tokenEntity = principal.kind === 'entity' ? principal.entityExternalId : undefined;
  const entity = header(req, 'x-engram-entity') ?? provider.bodyUser(body) ?? tokenEntity;
  const field = provider.name === 'openai' ? '`user`' : '`metadata.user_id`';
  if (!entity) {
    return {
      status: 400,
      type: 'invalid_request_error',
      message: `Engram needs to know whose memory this is: send an X-Engram-Entity header, set ${field}, or use an entity token`,
    };
  }
  if (tokenEntity !== undefined && entity !== tokenEntity) {
    return {
      status: 403,
      type: 'permission_error',
      message: 'this entity token belongs to another entity than the one the request names',
    };
  }
  const process = header(req, 'x-engram-process') ?? defaultProcess;
  const session = header(req, 'x-engram-session') ?? null;
  for (const [name, value] of [
    ['entity', entity],
    ['process', process],
    ['session', session],
  ] as const) {
    if (value !== null && value.length > (name === 'session' ? 128 : MAX_ID)) {
      return { status: 400, type: 'invalid_request_error', message: `the Engram ${name} id is too long` };
    }
  }
  return { entity, process, session };
}
