// How many names and relationships the mirror holds for an entity, for a quick verify.
// Each relationship is counted once, from its subject.
// Parameters:
//   $entity: string, the entity's external id.
// Returns: names (int), triples (int); both 0 for an entity the mirror does not hold.
OPTIONAL MATCH (n:EngramName {entity: $entity})
OPTIONAL MATCH (n)-[t:TRIPLE]->()
RETURN count(DISTINCT n) AS names, count(t) AS triples
