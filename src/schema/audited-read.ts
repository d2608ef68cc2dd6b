/** The field extension that marks an administrative read. */
export const AUDITED_READ = 'auditedRead';

/** What an audited read records besides who, when and from where. */
export interface AuditedRead {
  /** The argument whose value is the entry's target (the id the read named), if any. */
  target: string | null;
  /** The argument whose value is the external id of the entity the read concerned, if any. */
  entity?: string | null;
}

/**
 * Declares a Query field an administrative read: every call answered without an error at the field
 * leaves an audit entry whose action is the field's name (src/http/audit-reads.ts records it, so
 * planned reads and every transport are covered). Spread into the field's `extensions`.
 * @param target the argument naming what was read (`externalId` of `process`)
 */
export function auditedRead(target?: string, entity?: string): { [AUDITED_READ]: AuditedRead } {
  return { [AUDITED_READ]: { target: target ?? null, entity: entity ?? null } };
}
