import DataLoader from 'dataloader';
import type { Db } from './client.ts';

/** Models whose rows are counted per parent for connection `totalCount`s. */
export type CountedModel =
  | 'entityFact'
  | 'triple'
  | 'session'
  | 'conversation'
  | 'conversationMessage'
  | 'factMention'
  | 'processAttribute';

interface GroupByDelegate {
  groupBy(args: unknown): Promise<Array<Record<string, unknown> & { _count: { _all: number } }>>;
}

/**
 * Counts related rows per parent, batched: all parents asking for the same (model, foreign key,
 * filter) in one request cost one `GROUP BY` over the foreign key's index.
 *
 * Prisma's own relation `_count` joins a GROUP BY over the whole table (prisma/orm#23669), which
 * made one entity's page scan every fact, session and message of every user.
 */
export class RelationCounter {
  private readonly loaders = new Map<string, DataLoader<number, number>>();

  constructor(private readonly db: Db) {}

  count(model: CountedModel, foreignKey: string, parentId: number, where: object = {}): Promise<number> {
    const key = JSON.stringify([model, foreignKey, where]);
    let loader = this.loaders.get(key);
    if (!loader) {
      loader = new DataLoader(async (ids: readonly number[]) => {
        const delegate = this.db[model] as unknown as GroupByDelegate;
        const rows = await delegate.groupBy({
          by: [foreignKey],
          where: { ...where, [foreignKey]: { in: [...ids] } },
          _count: { _all: true },
        });
        const counts = new Map(rows.map((row) => [row[foreignKey] as number, row._count._all]));
        return ids.map((id) => counts.get(id) ?? 0);
      });
      this.loaders.set(key, loader);
    }
    return loader.load(parentId);
  }
}
