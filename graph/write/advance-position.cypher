// Records the last outbox change of a batch, in the batch's own transaction, so the writes and the
// position commit together. Never moves back: a late, older batch leaves the position as it was.
// Parameters:
//   $mirror: string, the position node's id ('default').
//   $position: int, the batch's last outbox change id.
// Returns: position (int), the stored position after the call.
MERGE (m:EngramMirror {id: $mirror})
WITH m, coalesce(m.position, $position) AS current
SET m.position = CASE WHEN current < $position THEN $position ELSE current END
RETURN m.position AS position
