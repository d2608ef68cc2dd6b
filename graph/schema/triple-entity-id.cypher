// Verify pages through one entity's relationships in id order; a composite index needs a predicate
// on every property, so the index on id alone cannot serve it.
// Parameters: none.
CREATE RANGE INDEX engram_triple_entity_id IF NOT EXISTS
FOR ()-[t:TRIPLE]-() ON (t.entity, t.id)
