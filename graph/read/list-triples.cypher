// One page of an entity's relationships in id order, for `engram graph verify` to compare with SQL.
// Parameters:
//   $entity: string, the entity's external id.
//   $afterId: int, the last id of the previous page (0 for the first page: SQL ids start at 1).
//   $limit: int, most relationships per page.
// Returns per relationship: id, subject, predicate, object, validFrom, validTo, version.
MATCH (s:EngramName)-[t:TRIPLE]->(o:EngramName)
WHERE t.entity = $entity AND t.id > $afterId
RETURN t.id AS id, s.name AS subject, t.predicate AS predicate, o.name AS object,
  t.validFrom AS validFrom, t.validTo AS validTo, t.version AS version
ORDER BY id
LIMIT $limit
