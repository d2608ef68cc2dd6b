import type { JobStatus } from '../../db/enums.ts';
import { builder } from '../builder.ts';

export const JobStatusEnum = builder.enumType('JobStatus', {
  description: 'Where an augmentation job is.',
  values: {
    PENDING: { description: 'Waiting for a worker (or for its next retry).' },
    RUNNING: { description: 'A worker holds it.' },
    DONE: { description: 'Its facts, triples and summary are written.' },
    PARKED: {
      description:
        'It failed every attempt (or could not succeed); see lastError. rerunAugmentation retries it.',
    },
  } satisfies Record<JobStatus, { description: string }>,
});

export const AugmentationJobNode = builder.prismaNode('AugmentationJob', {
  description: 'Background extraction of facts, triples and a summary from one recorded turn.',
  authScopes: (job) => ({ entity: job.entityId }),
  id: { field: 'id', description: 'Global id.' },
  // node(id) of a row that does not exist (any more) is null, not an error.
  nullable: true,
  fields: (t) => ({
    status: t.expose('status', { type: JobStatusEnum, description: 'Where it is.' }),
    attempts: t.exposeInt('attempts', { description: 'How many times a worker took it.' }),
    runAt: t.expose('runAt', { type: 'DateTime', description: 'When it may run (next).' }),
    lastError: t.exposeString('lastError', { nullable: true, description: 'Why the last attempt failed.' }),
    extractor: t.exposeString('extractor', {
      nullable: true,
      description: 'What extracted it: `local` or `<provider>:<model>`.',
    }),
    inputTokens: t.exposeInt('inputTokens', { description: 'LLM tokens read (0 for the local extractor).' }),
    outputTokens: t.exposeInt('outputTokens', { description: 'LLM tokens written.' }),
    factsFound: t.exposeInt('factsFound', { description: 'Facts extracted.' }),
    triplesFound: t.exposeInt('triplesFound', { description: 'Triples extracted.' }),
    createdAt: t.expose('createdAt', {
      type: 'DateTime',
      description: 'When it was enqueued (with its messages).',
    }),
    startedAt: t.expose('startedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the last attempt began.',
    }),
    completedAt: t.expose('completedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it was done.',
    }),
    conversation: t.relation('conversation', { description: 'The conversation it augments.' }),
  }),
});
