// Erases an entity from the mirror, a batch of names (with their relationships) per call: the
// caller repeats it until it returns 0. A loop of bounded transactions instead of
// CALL { ... } IN TRANSACTIONS, which runs only in auto-commit sessions.
// Relationships join names of one entity only, so deleting the names deletes all its triples.
// Parameters:
//   $entity: string, the entity's external id.
//   $batch: int, most names deleted by this call (a hub's relationships all go with it).
// Returns: deleted (int), the names deleted; 0 once the entity is gone.
MATCH (n:EngramName {entity: $entity})
WITH n
LIMIT $batch
DETACH DELETE n
RETURN count(*) AS deleted
