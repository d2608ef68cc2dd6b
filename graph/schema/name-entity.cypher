// Erase and verify find an entity's names by `entity` alone, which the composite constraint's
// index cannot answer without a name.
// Parameters: none.
CREATE RANGE INDEX engram_name_entity IF NOT EXISTS
FOR (n:EngramName) ON (n.entity)
