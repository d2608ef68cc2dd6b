// Upserts and deletes find a relationship by its SQL triple id. A range index rather than a
// relationship uniqueness constraint, which needs Neo4j 5.7: the id is unique because SQL says so.
// Parameters: none.
CREATE RANGE INDEX engram_triple_id IF NOT EXISTS
FOR ()-[t:TRIPLE]-() ON (t.id)
