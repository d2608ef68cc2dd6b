// A name is one node per entity: names meet within one entity's graph, never across entities.
// The composite uniqueness constraint (Community since 5.0) also backs the MERGE of every upsert.
// Parameters: none.
CREATE CONSTRAINT engram_name_unique IF NOT EXISTS
FOR (n:EngramName) REQUIRE (n.entity, n.name) IS UNIQUE
