// The history of one subject's predicate: every value it has had and when, one row per validity
// period, oldest first (where Maria lived over time: subject 'Maria', predicate 'lives_in').
// In Neo4j Browser:
//   :param entity => 'user-42'
//   :param subject => 'Maria'
//   :param predicate => 'lives_in'
// Parameters:
//   $entity: string, the entity's external id.
//   $subject: string, the subject name as stored.
//   $predicate: string, the predicate as stored (lower snake case).
// Returns per period: object, validFrom, validTo (null while it holds), mentionCount, id.
MATCH (:EngramName {entity: $entity, name: $subject})-[t:TRIPLE {predicate: $predicate}]->(o:EngramName)
UNWIND [i IN range(0, size(coalesce(t.periodsFrom, [])) - 1) | [t.periodsFrom[i], t.periodsTo[i]]]
  + [[t.validFrom, t.validTo]] AS period
RETURN o.name AS object, period[0] AS validFrom, period[1] AS validTo,
  t.mentionCount AS mentionCount, t.id AS id
ORDER BY validFrom, id
