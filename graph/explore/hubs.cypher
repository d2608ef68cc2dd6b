// An entity's hubs: its names by degree, counting the triples that hold now (validTo IS NULL).
// In Neo4j Browser:
//   :param entity => 'user-42'
//   :param limit => 20
// Parameters:
//   $entity: string, the entity's external id.
//   $limit: int, most names returned.
// Returns per name: name, type, degree; the highest degree first, then by name.
MATCH (n:EngramName {entity: $entity})
OPTIONAL MATCH (n)-[t:TRIPLE]-()
WHERE t.validTo IS NULL
RETURN n.name AS name, n.type AS type, count(DISTINCT t) AS degree
ORDER BY degree DESC, name
LIMIT $limit
