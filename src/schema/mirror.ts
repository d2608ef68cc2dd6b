import type { MirrorStatus } from '../mirror/neo4j-mirror.ts';
import { builder } from './builder.ts';

const GraphMirrorStatusRef = builder.objectRef<MirrorStatus>('GraphMirrorStatus').implement({
  description:
    'Where the Neo4j mirror of the knowledge graph stands. Example: `graphMirrorStatus { state lagChanges lagSeconds lastError }` gives FOLLOWING, 0, 0, null once Neo4j holds every change.',
  fields: (t) => ({
    state: t.string({
      description:
        'starting; following (this replica sends the changes); standby (another replica does); failing (Neo4j errors: the changes wait and are retried with backoff); stopped.',
      resolve: (status) => status.state,
    }),
    position: t.exposeInt('position', {
      description: 'The last outbox change Neo4j holds (with every earlier one). Example: 1520.',
    }),
    lagChanges: t.exposeInt('lagChanges', {
      description: 'Changes written to the database but not yet in Neo4j. Example: 0 when caught up.',
    }),
    lagSeconds: t.exposeFloat('lagSeconds', {
      description: 'Age of the oldest change not yet in Neo4j, in seconds; 0 when caught up.',
    }),
    lastError: t.exposeString('lastError', {
      nullable: true,
      description: 'The last error Neo4j (or the network) gave; null once a batch succeeds again.',
    }),
    lastAppliedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the last batch reached Neo4j; null before the first.',
      resolve: (status) => status.lastAppliedAt,
    }),
  }),
});

builder.queryFields((t) => ({
  graphMirrorStatus: t.field({
    type: GraphMirrorStatusRef,
    nullable: true,
    description:
      'The Neo4j mirror’s state and lag (API keys only: it counts every entity’s changes); null when NEO4J_URL is not set.',
    authScopes: { key: true },
    resolve: (_root, _args, ctx) => ctx.mirror?.status() ?? null,
  }),
}));
