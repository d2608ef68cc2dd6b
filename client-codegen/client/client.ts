import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import {
  type AddTriplesInput,
  ClientAddTriplesDocument,
  ClientAugmentationCompletedDocument,
  type ClientAugmentationCompletedSubscription,
  ClientFactChangedDocument,
  type ClientFactChangedSubscription,
  ClientForgetFactDocument,
  ClientForgetTripleDocument,
  ClientIssueEntityTokenDocument,
  ClientMessageAddedDocument,
  type ClientMessageAddedSubscription,
  ClientNeighborhoodDocument,
  type ClientNeighborhoodQueryVariables,
  ClientRecallDocument,
  type ClientRecallQueryVariables,
  ClientRecordConversationDocument,
  ClientRememberFactDocument,
  ClientSemanticSearchDocument,
  type ClientSemanticSearchQueryVariables,
  ClientSessionMessagesDocument,
  ClientTripleChangedDocument,
  type ClientTripleChangedSubscription,
  type IssueEntityTokenInput,
  type RecordConversationInput,
  type RememberFactInput,
} from '../generated/graphql.ts';
import { type CredentialOptions, Credentials } from './credentials.ts';
import {
  CLIENT_ERROR_CODES,
  EngramError,
  type EngramGraphQLError,
  fromGraphQLErrors,
  unwrapResult,
} from './errors.ts';
import { type EngramSubscription, subscribe } from './subscriptions.ts';

/** What `new EngramClient()` takes besides the credential. */
export interface EngramClientOptions extends CredentialOptions {
  /** The GraphQL endpoint, e.g. `https://engram.example.com/graphql`. */
  url: string;
  /**
   * The graphql-ws endpoint.
   * @default `url` with http(s) turned into ws(s)
   */
  wsUrl?: string;
  /**
   * The fetch to call.
   * @default globalThis.fetch
   */
  fetch?: typeof fetch;
  /**
   * The WebSocket class for subscriptions (Node 20 has none: pass `ws`'s default export).
   * @default globalThis.WebSocket
   */
  webSocketImpl?: unknown;
  /** Extra headers on every HTTP request. */
  headers?: Record<string, string>;
}

/** Each document's text, printed once: documents are module constants, so this stays small. */
const printed = new WeakMap<object, string>();
function text(document: TypedDocumentNode<unknown, unknown>): string {
  let query = printed.get(document);
  if (query === undefined) {
    query = print(document);
    printed.set(document, query);
  }
  return query;
}

/** Options of one call. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Any generated TypedDocumentNode runs through `request`; these are the result types of the methods. */
export type RecallHit = Awaited<ReturnType<EngramClient['recall']>>[number];
export type SemanticHit = Awaited<ReturnType<EngramClient['semanticSearch']>>[number];
export type RecordedConversation = Awaited<ReturnType<EngramClient['recordConversation']>>;
export type SessionMessages = NonNullable<Awaited<ReturnType<EngramClient['sessionMessages']>>>;

/**
 * Engram over GraphQL, for Node and browsers: typed methods for the memory operations (each one a
 * document of client-codegen/operations/client.graphql), `request` for any other generated
 * document, and subscriptions as async iterators over graphql-ws. Every failure is an EngramError
 * carrying the server's code.
 */
export class EngramClient {
  readonly url: string;
  readonly wsUrl: string;
  private readonly credentials: Credentials;
  private readonly fetchImpl: typeof fetch;
  private readonly webSocketImpl: unknown;
  private readonly headers: Record<string, string>;
  private socket: Client | null = null;

  constructor(options: EngramClientOptions) {
    this.url = options.url;
    this.wsUrl = options.wsUrl ?? options.url.replace(/^http/, 'ws');
    this.credentials = new Credentials(options);
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (!fetchImpl) throw new TypeError('no fetch: pass `fetch` in the options');
    // An unbound window.fetch throws "Illegal invocation" in browsers.
    this.fetchImpl = (input, init) => fetchImpl(input, init);
    this.webSocketImpl = options.webSocketImpl;
    this.headers = options.headers ?? {};
  }

  /**
   * Runs a typed document over HTTP and returns its data; GraphQL errors throw an EngramError. With
   * a token provider, an UNAUTHENTICATED answer is retried once with a fresh token.
   */
  async request<R, V>(
    document: TypedDocumentNode<R, V>,
    variables?: V,
    options: CallOptions = {},
  ): Promise<R> {
    const body = JSON.stringify({
      query: text(document as TypedDocumentNode<unknown, unknown>),
      variables: variables ?? {},
    });
    const credential = await this.credentials.current();
    try {
      return await this.post<R>(body, credential, options.signal);
    } catch (error) {
      if (
        !(error instanceof EngramError) ||
        error.code !== 'UNAUTHENTICATED' ||
        !this.credentials.refreshable
      )
        throw error;
      this.credentials.invalidate(credential);
      return this.post<R>(body, await this.credentials.current(), options.signal);
    }
  }

  private async post<R>(body: string, credential: string | undefined, signal?: AbortSignal): Promise<R> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...this.headers,
          ...(credential ? { authorization: `Bearer ${credential}` } : {}),
        },
        body,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new EngramError(CLIENT_ERROR_CODES.network, `Engram is unreachable: ${message}`, {
        cause: error,
      });
    }
    let parsed: { data?: R | null; errors?: EngramGraphQLError[] };
    try {
      parsed = (await response.json()) as typeof parsed;
    } catch (error) {
      throw new EngramError(
        CLIENT_ERROR_CODES.badResponse,
        `Engram answered ${response.status} without JSON`,
        {
          status: response.status,
          cause: error,
        },
      );
    }
    if (parsed.errors?.length) throw fromGraphQLErrors(parsed.errors, response.status);
    if (!response.ok || parsed.data == null) {
      throw new EngramError(
        CLIENT_ERROR_CODES.badResponse,
        `Engram answered ${response.status} without data`,
        {
          status: response.status,
        },
      );
    }
    return parsed.data;
  }

  /** Stores messages (creating the entity, process, session and conversation as needed). */
  async recordConversation(input: RecordConversationInput, options?: CallOptions) {
    const data = await this.request(ClientRecordConversationDocument, { input }, options);
    const { conversation, replayed } = unwrapResult(data.recordConversation);
    return { ...conversation, replayed, messages: conversation.messages.edges.map((edge) => edge.node) };
  }

  /** Remembers a fact (the same content again adds a mention). */
  async rememberFact(input: RememberFactInput, options?: CallOptions) {
    const data = await this.request(ClientRememberFactDocument, { input }, options);
    const { fact, kind } = unwrapResult(data.rememberFact);
    return { ...fact, kind };
  }

  /** Adds subject–predicate–object triples to an entity's graph. */
  async addTriples(input: AddTriplesInput, options?: CallOptions) {
    const data = await this.request(ClientAddTriplesDocument, { input }, options);
    return unwrapResult(data.addTriples).triples;
  }

  /** The entity's facts for a question, ranked as the LLM proxy ranks them (best first). */
  async recall(variables: ClientRecallQueryVariables, options?: CallOptions) {
    return (await this.request(ClientRecallDocument, variables, options)).recall;
  }

  /** Facts nearest to a text or vector (needs an embedding model on the server). */
  async semanticSearch(variables: ClientSemanticSearchQueryVariables, options?: CallOptions) {
    return (await this.request(ClientSemanticSearchDocument, variables, options)).semanticFacts;
  }

  /** Deletes a fact; returns its id. */
  async forgetFact(id: string, options?: CallOptions) {
    const data = await this.request(ClientForgetFactDocument, { id }, options);
    return unwrapResult(data.forgetFact).forgottenId;
  }

  /** Deletes a triple; returns its id. */
  async forgetTriple(id: string, options?: CallOptions) {
    const data = await this.request(ClientForgetTripleDocument, { id }, options);
    return unwrapResult(data.forgetTriple).forgottenId;
  }

  /** The graph around one node of an entity; null when the entity or the node is unknown. */
  async neighborhood(variables: ClientNeighborhoodQueryVariables, options?: CallOptions) {
    const data = await this.request(ClientNeighborhoodDocument, variables, options);
    return data.entity?.graph.neighborhood ?? null;
  }

  /**
   * A session's latest conversations (50 unless `first` says otherwise) and their messages, oldest
   * first; null when the session is unknown.
   */
  async sessionMessages(session: string, options: CallOptions & { first?: number } = {}) {
    const { first, ...call } = options;
    const data = await this.request(ClientSessionMessagesDocument, { session, first }, call);
    if (!data.session) return null;
    // The server lists a session's conversations newest first; a transcript reads oldest first.
    const conversations = data.session.conversations.edges
      .map(({ node }) => ({ id: node.id, messages: node.messages.edges.map((edge) => edge.node) }))
      .reverse();
    return { ...data.session, conversations, messages: conversations.flatMap((c) => c.messages) };
  }

  /**
   * A short-lived entity token for one entity, to hand to a browser (needs an admin or service
   * key: call it from your backend).
   */
  async issueEntityToken(input: IssueEntityTokenInput, options?: CallOptions) {
    const data = await this.request(ClientIssueEntityTokenDocument, { input }, options);
    return unwrapResult(data.issueEntityToken);
  }

  /** Runs any subscription document over graphql-ws. */
  subscribe<R, V>(document: TypedDocumentNode<R, V>, variables: V): EngramSubscription<R> {
    return subscribe(this.ws(), this.credentials, document, variables);
  }

  /** Changes to an entity's facts. */
  factChanged(entity: string): EngramSubscription<ClientFactChangedSubscription> {
    return this.subscribe(ClientFactChangedDocument, { entity });
  }

  /** Changes to an entity's triples. */
  tripleChanged(entity: string): EngramSubscription<ClientTripleChangedSubscription> {
    return this.subscribe(ClientTripleChangedDocument, { entity });
  }

  /** Messages recorded in a session (global id or uuid). */
  messageAdded(session: string): EngramSubscription<ClientMessageAddedSubscription> {
    return this.subscribe(ClientMessageAddedDocument, { session });
  }

  /** Augmentation jobs of an entity as they complete. */
  augmentationCompleted(entity: string): EngramSubscription<ClientAugmentationCompletedSubscription> {
    return this.subscribe(ClientAugmentationCompletedDocument, { entity });
  }

  /** Closes the subscription socket (HTTP calls hold nothing open). */
  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    await socket?.dispose();
  }

  private ws(): Client {
    if (this.socket) return this.socket;
    const impl = this.webSocketImpl ?? (globalThis as { WebSocket?: unknown }).WebSocket;
    if (!impl) {
      throw new TypeError('no WebSocket: pass `webSocketImpl` (for example the `ws` package) in the options');
    }
    const credentials = this.credentials;
    this.socket = createClient({
      url: this.wsUrl,
      webSocketImpl: impl,
      lazy: true,
      connectionParams: async () => {
        const credential = await credentials.current();
        return credential ? { authorization: `Bearer ${credential}` } : {};
      },
      // A refused credential (4403) stays refused unless the provider can hand a new one.
      shouldRetry: (event) => {
        const code = (event as { code?: unknown } | null)?.code;
        if (typeof code !== 'number') return false;
        if (code === 4403) {
          if (!credentials.refreshable) return false;
          credentials.invalidate();
        }
        return true;
      },
    });
    return this.socket;
  }
}

/** What `mintEntityToken` takes. */
export interface MintEntityTokenOptions extends IssueEntityTokenInput {
  /** The GraphQL endpoint. */
  url: string;
  /** An admin or service key: this runs on your backend. */
  apiKey: string;
  fetch?: typeof fetch;
}

/**
 * For a backend: a short-lived token for the signed-in user's entity, to send to the browser
 * (whose EngramClient then uses it as `token`, or fetches it from `getToken`).
 */
export async function mintEntityToken(
  options: MintEntityTokenOptions,
): Promise<{ token: string; expiresAt: string }> {
  const { url, apiKey, fetch: fetchImpl, ...input } = options;
  const client = new EngramClient({ url, apiKey, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
  const { token, expiresAt } = await client.issueEntityToken(input);
  return { token, expiresAt };
}
