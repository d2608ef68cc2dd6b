// The neighbourhood of a name: every name within 2 hops along triples that hold now, either
// direction (as Engram's neighborhood with direction BOTH), and the triples that reach them.
// Returns paths, so Neo4j Browser draws the graph; the name alone when it has no current triple.
// The depth is written in the pattern (*0..2): Cypher takes no parameter for hop bounds.
// In Neo4j Browser:
//   :param entity => 'user-42'
//   :param name => 'Ana'
// Parameters:
//   $entity: string, the entity's external id.
//   $name: string, the name as stored.
// Returns: p, one path per name reached (length 0 to 2).
MATCH p = (:EngramName {entity: $entity, name: $name})-[:TRIPLE*0..2]-(:EngramName)
WHERE all(t IN relationships(p) WHERE t.validTo IS NULL)
RETURN p
