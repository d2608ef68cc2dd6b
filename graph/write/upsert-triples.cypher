// Writes triples (new or changed) into the mirror, idempotently: a row whose version is not newer
// than the relationship's stored one changes nothing, so a replayed or reordered batch is harmless.
// A triple's id always joins the same two names (SQL keys a triple by entity, subject, predicate
// and object), so the relationship is merged by id between its two name nodes.
// Parameters:
//   $rows: list of maps, one per triple:
//     id (int, the SQL triple id), entity (string, the entity's external id),
//     subject, object (strings, names as stored), subjectType, objectType (string or null: null
//     keeps a type already known), predicate (lower snake case), mentionCount (int),
//     lastMentionedAt, validFrom (DateTime), validTo (DateTime or null while current),
//     periodsFrom, periodsTo (parallel lists of DateTime: the earlier validity periods, may be
//     empty), version (int, the outbox change id of this write).
// Returns nothing; the summary's counters say what changed.
UNWIND $rows AS row
MERGE (s:EngramName {entity: row.entity, name: row.subject})
SET s.type = coalesce(row.subjectType, s.type)
MERGE (o:EngramName {entity: row.entity, name: row.object})
SET o.type = coalesce(row.objectType, o.type)
MERGE (s)-[t:TRIPLE {id: row.id}]->(o)
WITH t, row
WHERE t.version IS NULL OR t.version < row.version
SET t.entity = row.entity,
  t.predicate = row.predicate,
  t.mentionCount = row.mentionCount,
  t.lastMentionedAt = row.lastMentionedAt,
  t.validFrom = row.validFrom,
  t.validTo = row.validTo,
  t.periodsFrom = row.periodsFrom,
  t.periodsTo = row.periodsTo,
  t.version = row.version
