// One position node per mirror, so two writers' MERGE of it cannot make two.
// Parameters: none.
CREATE CONSTRAINT engram_mirror_unique IF NOT EXISTS
FOR (m:EngramMirror) REQUIRE m.id IS UNIQUE
