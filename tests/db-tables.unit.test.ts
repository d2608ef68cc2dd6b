import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TABLES } from '../src/db/tables.ts';

describe('table names (no database)', () => {
  it('src/db/tables.ts names each model’s table as prisma/schema.prisma maps it', () => {
    const schema = readFileSync(new URL('../prisma/schema.prisma', import.meta.url), 'utf8');
    const mapped: Record<string, string> = {};
    for (const [, model, body] of schema.matchAll(/^model (\w+) \{\n([\s\S]*?)^\}/gm)) {
      mapped[model as string] = /@@map\("([^"]+)"\)/.exec(body as string)?.[1] ?? (model as string);
    }
    expect(Object.keys(mapped).length).toBeGreaterThan(10);
    expect(TABLES).toStrictEqual(mapped);
  });
});
