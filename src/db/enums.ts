/**
 * The enums of prisma/schema.prisma as values: the one definition of fact categories, message
 * roles and job statuses. The GraphQL enums and the input schemas are derived from these, so a
 * value added to the Prisma schema is a type error wherever it is not handled yet.
 *
 * Every provider's client is generated from the same canonical schema, so their enum modules are
 * identical; the SQLite one is imported whatever database is in use. It holds only constants (not
 * the client), so importing it loads no driver.
 */
export { AuditActorKind, FactCategory, JobStatus, MessageRole } from './generated/sqlite/enums.ts';
