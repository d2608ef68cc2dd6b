import { type GraphQLObjectType, type GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.ts';
import './errors.ts';
import './types/enums.ts';
import './types/Entity.ts';
import './types/Process.ts';
import './types/Session.ts';
import './types/Conversation.ts';
import './types/Fact.ts';
import './types/Triple.ts';
import './types/Graph.ts';
import './types/AugmentationJob.ts';
import './types/AuditEntry.ts';
import './queries.ts';
import './semantic.ts';
import './augmentation.ts';
import './mutations/recordConversation.ts';
import './mutations/facts.ts';
import './mutations/triples.ts';
import './mutations/tokens.ts';
import './export.ts';
import './mutations/erase.ts';
import './subscriptions.ts';
import './audit.ts';
import './mirror.ts';

/**
 * Pothos' Prisma plugin adds `totalCount` to connections without a way to describe it;
 * describe it here so GraphiQL documents every field.
 */
function describeTotalCounts(built: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(built.getTypeMap())) {
    // Duck-typed: a second copy of graphql-js (CommonJS beside ESM) would defeat instanceof.
    if (!type.name.endsWith('Connection') || !('getFields' in type)) continue;
    const totalCount = (type as GraphQLObjectType).getFields().totalCount;
    if (totalCount && !totalCount.description) {
      totalCount.description = 'How many items the whole list has, across all pages.';
    }
  }
  return built;
}

/** The executable GraphQL schema of Engram. */
export const schema = describeTotalCounts(builder.toSchema({ sortSchema: true }));

/** The SDL committed as schema/schema.graphql (sorted, so diffs stay small). */
export function printEngramSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
