import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.ts';
import './errors.ts';
import './types/enums.ts';
import './types/Entity.ts';
import './types/Process.ts';
import './types/Session.ts';
import './types/Conversation.ts';
import './types/Fact.ts';
import './types/Triple.ts';
import './queries.ts';
import './mutations/recordConversation.ts';
import './mutations/facts.ts';
import './mutations/triples.ts';
import './subscriptions.ts';

/** The executable GraphQL schema of Engram. */
export const schema = builder.toSchema({ sortSchema: true });

/** The SDL committed as schema/schema.graphql (sorted, so diffs stay small). */
export function printEngramSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
