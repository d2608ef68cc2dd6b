/**
 * The explorer's only way to Engram: GraphQL over HTTP and graphql-ws on this origin, with the
 * credential the visitor typed. The credential lives in sessionStorage: it is gone when the tab
 * closes and never written into a URL.
 */

const ENDPOINT = '/graphql';
const CREDENTIAL_KEY = 'engram.explorer.credential';

export function storedCredential() {
  return sessionStorage.getItem(CREDENTIAL_KEY) ?? '';
}

export function storeCredential(value) {
  if (value) sessionStorage.setItem(CREDENTIAL_KEY, value);
  else sessionStorage.removeItem(CREDENTIAL_KEY);
}

function authorization() {
  const credential = storedCredential();
  return credential ? `Bearer ${credential}` : undefined;
}

/** A failed request, with the server's error code when it gave one. */
export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/** Runs one document; resolves with its data, or rejects with the first error the server gave. */
export async function request(query, variables) {
  const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
  const auth = authorization();
  if (auth) headers.authorization = auth;
  let response;
  try {
    response = await fetch(ENDPOINT, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  } catch {
    throw new ApiError('Engram cannot be reached', 'NETWORK');
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`Engram answered ${response.status} without a GraphQL result`, 'HTTP');
  }
  const first = body.errors?.[0];
  if (first) throw new ApiError(first.message, first.extensions?.code);
  if (!body.data) throw new ApiError('Engram answered without data', 'HTTP');
  return body.data;
}

/**
 * Follows one entity's `tripleChanged` over graphql-ws. `onState` hears 'connecting', 'live' and
 * 'offline' (with a reason); the returned function stops following.
 */
export function follow(entity, query, onEvent, onState) {
  // A client being disposed still reports its close: only the current one may change the badge.
  let following = true;
  const report = (state, reason) => {
    if (following) onState(state, reason);
  };
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const client = globalThis.graphqlWs.createClient({
    url: `${scheme}//${location.host}${ENDPOINT}`,
    connectionParams: () => {
      const auth = authorization();
      return auth ? { authorization: auth } : {};
    },
    retryAttempts: 5,
    on: {
      connecting: () => report('connecting'),
      connected: () => report('live'),
      closed: (event) => report('offline', event?.reason || undefined),
    },
  });
  report('connecting');
  const stop = client.subscribe(
    { query, variables: { entity } },
    {
      next: (result) => {
        const first = result.errors?.[0];
        if (first) report('offline', first.message);
        else if (result.data && following) onEvent(result.data.tripleChanged);
      },
      error: (error) => report('offline', error instanceof Error ? error.message : errorText(error)),
      complete: () => {},
    },
  );
  return () => {
    following = false;
    stop();
    // dispose() rejects when the client was waiting to retry a failed connection (graphql-ws
    // 6.4 denies that attempt with "All Subscriptions Gone"): nothing is left to close then.
    Promise.resolve(client.dispose()).catch(() => {});
  };
}

/** graphql-ws reports a refused subscription as a list of GraphQL errors or a CloseEvent. */
function errorText(error) {
  if (Array.isArray(error)) return error[0]?.message ?? 'the subscription was refused';
  if (error && typeof error === 'object' && 'reason' in error && error.reason) return error.reason;
  return 'the live connection failed';
}
