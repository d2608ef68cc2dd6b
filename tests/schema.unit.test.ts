import { readFileSync } from 'node:fs';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import config from '../client-codegen/codegen.ts';
import { printEngramSchema, schema } from '../src/schema/index.ts';

describe('printed schema and typed client stay in sync with the code', () => {
  it('schema/schema.graphql is the printed, sorted schema (run `npm run schema:print`)', async () => {
    await expect(printEngramSchema()).toMatchFileSnapshot('../schema/schema.graphql');
  });

  it('client-codegen/generated matches the committed SDL and operations (run `npm run codegen`)', async () => {
    const outputs = await generate({ ...config, silent: true }, false);
    expect(outputs.length).toBeGreaterThan(0);
    for (const output of outputs) {
      expect(output.content, `${output.filename} is stale`).toBe(readFileSync(output.filename, 'utf8'));
    }
  });

  it('describes every type, field and argument (GraphiQL is the manual)', () => {
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name))
        continue;
      if (!type.description) missing.push(type.name);
      if (!('getFields' in type)) continue;
      for (const field of Object.values(type.getFields())) {
        if (!field.description) missing.push(`${type.name}.${field.name}`);
        for (const arg of 'args' in field ? field.args : []) {
          if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
