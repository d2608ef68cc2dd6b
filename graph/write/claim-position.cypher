// Makes the mirror this Engram database's, at a position, whatever it held before: the last step
// of `engram graph resync`, which has just rewritten the whole graph from this database.
// Parameters:
//   $mirror: string, the position node's id ('default').
//   $position: int, the newest outbox change when the resync started.
//   $database: string, the Engram database's name (engram_meta.database_id).
// Returns: position (int), database (string).
MERGE (m:EngramMirror {id: $mirror})
SET m.position = $position, m.database = $database
RETURN m.position AS position, m.database AS database
