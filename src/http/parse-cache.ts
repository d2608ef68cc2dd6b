import type { DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';

/**
 * An estimate of what one cached document costs: its text as the key plus the AST built from it
 * (measured at roughly ten times the text on Engram's own documents), with a floor for small ones.
 */
function estimate(key: string): number {
  return 512 + key.length * 12;
}

/**
 * yoga's parse and validation caches, bounded by memory instead of by entry count (yoga's default
 * keeps 1,024 documents of any size, so distinct large documents could grow the process without
 * bound). Validation results hang off the cached DocumentNode in yoga's WeakMaps, so they go with it.
 */
export function boundedParserCache(maxBytes: number) {
  const documentCache = new LRUCache<string, DocumentNode>({
    maxSize: maxBytes,
    sizeCalculation: (_value, key) => estimate(key),
  });
  const errorCache = new LRUCache<string, object>({
    maxSize: Math.max(1, Math.floor(maxBytes / 8)),
    sizeCalculation: (_value, key) => estimate(key),
  });
  return {
    documentCache: {
      get: (key: string) => documentCache.get(key),
      set: (key: string, value: DocumentNode) => {
        documentCache.set(key, value);
      },
    },
    errorCache: {
      get: (key: string) => errorCache.get(key),
      set: (key: string, value: unknown) => {
        if (value !== null && typeof value === 'object') errorCache.set(key, value);
      },
    },
  };
}
