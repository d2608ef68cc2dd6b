// One page of the entities the mirror holds, in order, so verify also finds entities erased from
// SQL that linger in Neo4j.
// Parameters:
//   $afterEntity: string, the last entity of the previous page ('' for the first page).
//   $limit: int, most entities per page.
// Returns per entity: entity (string).
MATCH (n:EngramName)
WHERE n.entity > $afterEntity
RETURN DISTINCT n.entity AS entity
ORDER BY entity
LIMIT $limit
