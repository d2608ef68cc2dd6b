// An entity's graph as of a moment: the triples that held then, as Engram's asOf reads it: the
// current validity period contains the moment (validFrom <= asOf, validTo null or after it), or
// one of the earlier periods does (periodsFrom[i] <= asOf < periodsTo[i]).
// In Neo4j Browser (a DateTime, not a string: strings do not compare with DateTime):
//   :param entity => 'user-42'
//   :param asOf => datetime('2024-06-01T00:00:00Z')
// Parameters:
//   $entity: string, the entity's external id.
//   $asOf: DateTime, the moment.
// Returns per triple: s, t, o (Browser draws them).
MATCH (s:EngramName {entity: $entity})-[t:TRIPLE]->(o:EngramName)
WHERE (t.validFrom <= $asOf AND (t.validTo IS NULL OR t.validTo > $asOf))
  OR any(i IN range(0, size(coalesce(t.periodsFrom, [])) - 1)
    WHERE t.periodsFrom[i] <= $asOf AND t.periodsTo[i] > $asOf)
RETURN s, t, o
