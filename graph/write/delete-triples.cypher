// Removes triples deleted in SQL, then the names those triples leave without any relationship.
// A relationship written by a newer change than the delete's (stored version > row.version) stays.
// Only the touched names are checked, so a delete never scans the entity's graph.
// Parameters:
//   $rows: list of maps, one per triple: id (int, the SQL triple id), version (int, the outbox
//     change id of the delete).
// Returns nothing; the summary's counters say what was deleted.
UNWIND $rows AS row
MATCH (s:EngramName)-[t:TRIPLE {id: row.id}]->(o:EngramName)
WHERE t.version <= row.version
DELETE t
WITH collect(s) + collect(o) AS touched
UNWIND touched AS n
WITH DISTINCT n
WHERE NOT (n)--()
DELETE n
