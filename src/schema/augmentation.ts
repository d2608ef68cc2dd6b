import { assertAdmin } from '../auth/principal.ts';
import { rerunAugmentation } from '../services/augmentation.ts';
import { auditedRead } from './audited-read.ts';
import { builder, maxPageSize } from './builder.ts';
import { decodeId, MUTATION_ERRORS } from './errors.ts';
import { JobStatusEnum } from './types/AugmentationJob.ts';

builder.queryFields((t) => ({
  augmentationJobs: t.prismaConnection({
    type: 'AugmentationJob',
    cursor: 'id',
    maxSize: maxPageSize,
    totalCount: (_connection, args, ctx) =>
      ctx.reader.augmentationJob.count({ where: args.status ? { status: args.status } : {} }),
    description: 'Augmentation jobs, newest first (administrators only).',
    extensions: auditedRead(),
    args: {
      status: t.arg({ type: JobStatusEnum, required: false, description: 'Only jobs in this state.' }),
    },
    authScopes: { admin: true },
    resolve: (query, _root, args, ctx) =>
      ctx.reader.augmentationJob.findMany({
        ...query,
        where: args.status ? { status: args.status } : {},
        orderBy: { id: 'desc' },
      }),
  }),
}));

const RerunSuccess = builder.objectRef<{ jobId: number }>('RerunAugmentationSuccess').implement({
  description: 'The job is back in the queue.',
  fields: (t) => ({
    job: t.prismaField({
      type: 'AugmentationJob',
      description: 'The job, PENDING with fresh attempts.',
      resolve: (query, parent, _args, ctx) =>
        ctx.reader.augmentationJob.findUniqueOrThrow({ ...query, where: { id: parent.jobId } }),
    }),
  }),
});

builder.mutationFields((t) => ({
  rerunAugmentation: t.field({
    type: RerunSuccess,
    description:
      'Puts a parked augmentation job back in the queue (administrators only). With force, also a completed one: its facts and triples are then counted again.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'RerunAugmentationResult', description: 'The result, or the error the caller can fix.' },
    },
    args: {
      job: t.arg.id({ required: true, description: 'Global id of the job.' }),
      force: t.arg.boolean({ required: false, description: 'Also re-run a DONE job. @default false' }),
    },
    resolve: async (_root, args, ctx) => {
      assertAdmin(ctx.principal);
      const ref = String(args.job);
      const id = decodeId(ref, 'AugmentationJob', 'job');
      return { jobId: await rerunAugmentation(ctx, ctx.actor, { id, ref }, args.force ?? false) };
    },
  }),
}));
