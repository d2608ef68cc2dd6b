// Records the last outbox change of a batch, in the batch's own transaction, so the writes and the
// position commit together. Never moves back: a late, older batch leaves the position as it was.
// Names the Engram database mirrored when no database is named yet; the caller rolls the batch
// back when the returned database is another one.
// Parameters:
//   $mirror: string, the position node's id ('default').
//   $position: int, the batch's last outbox change id.
//   $database: string, the Engram database's name (engram_meta.database_id).
// Returns: position (int), the stored position after the call; database (string), the database
// the mirror belongs to.
MERGE (m:EngramMirror {id: $mirror})
WITH m, coalesce(m.position, $position) AS current
SET m.position = CASE WHEN current < $position THEN $position ELSE current END,
  m.database = coalesce(m.database, $database)
RETURN m.position AS position, m.database AS database
