/**
 * `npm run bench:backup -- --messages 20000,200000`: generates one entity with that many messages
 * (1 KB each, 100 per conversation), a fact with a 384-d vector and a triple per four messages,
 * then runs `engram export` and `engram import` (into a fresh database) as real processes under
 * /usr/bin/time and prints their peak RSS next to the data size: flat RSS across sizes shows the
 * backup streams in constant memory. SQLite only (no server needed).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../src/db/client.ts';
import { createFreshDatabase } from './lib/fresh-database.ts';

const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
};
const sizes = arg('messages', '20000,200000').split(',').map(Number);
const log = (line: string) => process.stderr.write(`${line}\n`);

async function generate(url: string, messages: number): Promise<void> {
  const db = await openDatabase({ url });
  try {
    const entity = await db.entity.create({ data: { externalId: 'big' } });
    const proc = await db.process.create({ data: { externalId: 'bench' } });
    const session = await db.session.create({
      data: { uuid: 'big-session', entityId: entity.id, processId: proc.id },
    });
    const text = (i: number) => `message ${i} ${randomBytes(384).toString('base64')}`.padEnd(1024, '.');
    const vector = () => new Uint8Array(Buffer.from(new Float32Array(384).map(() => Math.random()).buffer));
    for (let done = 0; done < messages; done += 1000) {
      // One at a time: createManyAndReturn is not in every provider's client (MySQL).
      const conversations: { id: number }[] = [];
      for (let c = 0; c < 10; c += 1)
        conversations.push(
          await db.conversation.create({ data: { sessionId: session.id }, select: { id: true } }),
        );
      await db.conversationMessage.createMany({
        data: Array.from({ length: 1000 }, (_, i) => ({
          conversationId: (conversations[Math.floor(i / 100)] as { id: number }).id,
          role: 'USER' as const,
          content: text(done + i),
        })),
      });
      await db.entityFact.createMany({
        data: Array.from({ length: 250 }, (_, i) => ({
          entityId: entity.id,
          content: `fact ${done + i}`,
          contentHash: randomBytes(32).toString('hex'),
          embedding: vector(),
          embeddingModel: 'bench',
          embeddingDim: 384,
        })),
      });
      const subject = await db.tripleSubject.upsert({
        where: { name: 'big' },
        create: { name: 'big' },
        update: {},
      });
      const predicate = await db.triplePredicate.upsert({
        where: { name: 'knows' },
        create: { name: 'knows' },
        update: {},
      });
      const names = Array.from({ length: 250 }, (_, i) => `person ${done + i}`);
      await db.tripleObject.createMany({ data: names.map((name) => ({ name })) });
      const objects = await db.tripleObject.findMany({
        where: { name: { in: names } },
        select: { id: true },
      });
      await db.triple.createMany({
        data: objects.map((object) => ({
          entityId: entity.id,
          subjectId: subject.id,
          predicateId: predicate.id,
          objectId: object.id,
        })),
      });
    }
  } finally {
    await db.$disconnect();
  }
}

/** Runs the CLI under /usr/bin/time; answers its peak RSS in MB and its wall time in s. */
function timed(args: string[], url: string): { rssMb: number; seconds: number } {
  const started = performance.now();
  const run = spawnSync(
    '/usr/bin/time',
    ['-f', '%M', process.execPath, '--import', 'tsx', 'src/index.ts', ...args],
    {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        DATABASE_URL: url,
        LOG_LEVEL: 'silent',
        EMBEDDING_PROVIDER: 'none',
        VECTOR_INDEX: 'off',
      },
      encoding: 'utf8',
    },
  );
  if (run.status !== 0) throw new Error(`${args.join(' ')} failed: ${run.stderr}`);
  const kb = Number(run.stderr.trim().split('\n').at(-1));
  return { rssMb: kb / 1024, seconds: (performance.now() - started) / 1000 };
}

const rows: string[] = [];
for (const messages of sizes) {
  const source = await createFreshDatabase('sqlite', '', log);
  const target = await createFreshDatabase('sqlite', '', log);
  try {
    log(`generating ${messages} messages...`);
    await generate(source.url, messages);
    const dbBytes = statSync(source.url.replace(/^file:/, '')).size;
    const file = join(source.url.replace(/^file:/, '').replace(/[^/]+$/, ''), 'big.engram.gz');
    const exported = timed(['export', '--out', file], source.url);
    const imported = timed(['import', file], target.url);
    rows.push(
      `| ${messages} | ${(dbBytes / 2 ** 20).toFixed(0)} MB | ${(statSync(file).size / 2 ** 20).toFixed(0)} MB | ${exported.rssMb.toFixed(0)} MB | ${exported.seconds.toFixed(1)} s | ${imported.rssMb.toFixed(0)} MB | ${imported.seconds.toFixed(1)} s |`,
    );
  } finally {
    await source.drop();
    await target.drop();
  }
}
process.stdout.write(
  '| messages (+¼ facts with 384-d vectors, ¼ triples) | SQLite file | backup (gzip) | export peak RSS | export time | import peak RSS | import time |\n|---|---|---|---|---|---|---|\n',
);
process.stdout.write(`${rows.join('\n')}\n`);
