// The last outbox change applied to the mirror. Read it in the batch's transaction: changes at or
// below it were applied already (a replayed batch), and are skipped.
// Parameters:
//   $mirror: string, the position node's id ('default').
// Returns: position (int, or null before the first batch).
OPTIONAL MATCH (m:EngramMirror {id: $mirror})
RETURN m.position AS position
