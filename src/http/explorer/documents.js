/**
 * The GraphQL documents the explorer sends: the public API only, with every value a variable (no
 * name is ever spliced into a document). Graph sizes are left to the server's defaults, which it
 * caps at MAX_PAGE_SIZE; an explicit size above that would be refused.
 */

const TRIPLE = 'id subject { name type } predicate { name } object { name type } validFrom validTo';
const NODE = 'name type degree';

/** Entities an admin key may list, for the entity picker. */
export const ENTITIES = `query ExplorerEntities {
  entities(first: 100) { edges { node { externalId } } }
}`;

/**
 * An entity's hubs (for the overview and the name count) and the moments its triples started or
 * stopped holding (the stops of the time slider).
 */
export const OVERVIEW = `query ExplorerOverview($entity: String!, $asOf: DateTime) {
  entity(externalId: $entity) {
    externalId
    triples(includeHistory: true, first: 100) {
      edges { node { validFrom validTo earlierPeriods { validFrom validTo } } }
    }
    graph(asOf: $asOf) {
      nodes(first: 8, orderBy: DEGREE) { totalCount edges { node { ${NODE} } } }
    }
  }
}`;

export const SUBGRAPH = `query ExplorerSubgraph($entity: String!, $asOf: DateTime, $seeds: [String!]!) {
  entity(externalId: $entity) {
    graph(asOf: $asOf) {
      subgraph(seeds: $seeds, depth: 1) { truncated nodes { ${NODE} } triples { ${TRIPLE} } }
    }
  }
}`;

export const NEIGHBORHOOD = `query ExplorerNeighborhood($entity: String!, $asOf: DateTime, $of: String!, $depth: Int!) {
  entity(externalId: $entity) {
    graph(asOf: $asOf) {
      neighborhood(of: $of, depth: $depth) { truncated nodes { ${NODE} } triples { ${TRIPLE} } }
    }
  }
}`;

export const SEARCH = `query ExplorerSearch($entity: String!, $asOf: DateTime, $search: String!) {
  entity(externalId: $entity) {
    graph(asOf: $asOf) {
      nodes(first: 10, orderBy: DEGREE, search: $search) { totalCount edges { node { ${NODE} } } }
    }
  }
}`;

export const PATH = `query ExplorerPath($entity: String!, $asOf: DateTime, $from: String!, $to: String!) {
  entity(externalId: $entity) {
    graph(asOf: $asOf) {
      path(from: $from, to: $to, maxDepth: 4) { length nodes { ${NODE} } triples { ${TRIPLE} } }
    }
  }
}`;

export const TRIPLE_CHANGED = `subscription ExplorerTripleChanged($entity: String!) {
  tripleChanged(entity: $entity) { kind triple { ${TRIPLE} } }
}`;
