import type { ServerResponse } from 'node:http';
import type { EmbeddingService } from '../embed/service.ts';
import type { GraphMirror } from '../mirror/neo4j-mirror.ts';
import type { SearchIndex } from '../search/search-index.ts';

/**
 * `/health`: alive, and for a caller with full access what works (a missing model degrades
 * semantic search but not the server). A stranger learns only that the server is up: the model's
 * error, the index's folder and its figures can name files and versions.
 */
export function sendHealth(
  res: ServerResponse,
  parts: { embeddings: EmbeddingService | null; index: SearchIndex | null; mirror?: GraphMirror | null },
  detailed: boolean,
): void {
  const send = (body: unknown) =>
    res
      .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(JSON.stringify(body));
  if (!detailed) {
    send({ status: 'ok' });
    return;
  }
  const embedding = parts.embeddings?.status() ?? {
    state: 'disabled',
    model: null,
    dimension: null,
    error: null,
  };
  const describe = parts.index?.describe() ?? Promise.resolve(null);
  // The mirror's status reads the outbox; a database that cannot answer says so rather than hang /health.
  const mirror = parts.mirror
    ? parts.mirror.status().catch((error: unknown) => ({ state: 'unknown', error: String(error) }))
    : Promise.resolve({ state: 'disabled' });
  Promise.all([describe.catch(() => parts.index?.status() ?? null), mirror]).then(
    ([vectorIndex, graphMirror]) => send({ status: 'ok', embedding, vectorIndex, graphMirror }),
  );
}
