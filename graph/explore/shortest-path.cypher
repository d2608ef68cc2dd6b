// A shortest path between two names along triples that hold now, either direction, at most 6 hops
// (Engram's MAX_PATH_DEPTH). shortestPath() rather than SHORTEST, which needs Neo4j 5.21; the
// bound is written in the pattern (*..6): Cypher takes no parameter for hop bounds.
// In Neo4j Browser:
//   :param entity => 'user-42'
//   :param from => 'Ana'
//   :param to => 'Lisbon'
// Parameters:
//   $entity: string, the entity's external id.
//   $from: string, the start name as stored.
//   $to: string, the end name as stored; not $from (shortestPath() refuses one node at both ends).
// Returns: p, the path (no row when none is within 6 hops).
MATCH p = shortestPath(
  (:EngramName {entity: $entity, name: $from})-[:TRIPLE*..6]-(:EngramName {entity: $entity, name: $to})
)
WHERE all(t IN relationships(p) WHERE t.validTo IS NULL)
RETURN p
