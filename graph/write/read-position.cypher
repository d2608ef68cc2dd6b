// The last outbox change applied to the mirror, and which Engram database it mirrors. Read it in
// the batch's transaction: changes at or below it were applied already (a replayed batch), and are
// skipped. A mirror of another database is not written to (`engram graph resync` takes it over).
// Parameters:
//   $mirror: string, the position node's id ('default').
// Returns: position (int, or null before the first batch), database (string: the Engram
// database's name, engram_meta.database_id; null before the first batch or from an older version).
OPTIONAL MATCH (m:EngramMirror {id: $mirror})
RETURN m.position AS position, m.database AS database
