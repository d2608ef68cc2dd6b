import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed documents for Engram's operations, generated from the committed SDL.
 * Run `npm run codegen` after changing schema/schema.graphql or client-codegen/operations.
 */
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['client-codegen/operations/**/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'client-codegen/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        importExtension: '.ts',
        enumsAsTypes: true,
        scalars: { DateTime: 'string', JSON: 'unknown' },
        strictScalars: true,
      },
    },
  },
};

export default config;
