import {
  closeSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { messagePartition } from './message-rows.ts';
import {
  ChunkReader,
  ChunkWriter,
  FORMAT,
  MAGIC,
  type Manifest,
  removeAbandoned,
  uniqueSuffix,
} from './snapshot-file.ts';

/** What a purge did, for the logs. */
export interface PurgeReport {
  /** Snapshot folders rewritten without the entities. */
  rewritten: number;
  /** Snapshot folders deleted: superseded by a newer one, damaged, or of another format. */
  removed: number;
  /** Facts of the entities taken out. */
  facts: number;
}

type Outcome = 'unchanged' | 'rewritten' | 'unreadable';

/**
 * Takes entities out of every snapshot of the index at `dir` on disk now, instead of at the next
 * save (an erase: their texts and vectors must not stay in any file). The current snapshot is
 * rewritten without them and swapped in as a save swaps (a crash leaves the old one or the new
 * one); the previous snapshots a crashed save left (`<dir>.old-*`) are deleted when a current one
 * exists, else rewritten too; staging folders of dead processes are deleted. Graph files of the
 * other entities are hard-linked, not copied, so the cost is one pass over facts.bin.
 * A staging folder of a live process is left alone: its process follows the change log, applies
 * the erase and purges its own snapshots.
 */
export function purgeSnapshots(dir: string, entityIds: readonly number[]): PurgeReport {
  const report: PurgeReport = { rewritten: 0, removed: 0, facts: 0 };
  const parent = path.dirname(dir);
  if (entityIds.length === 0 || !existsSync(parent)) return report;
  // An entity's messages are held under its negated id (message-rows.ts): they go with it.
  const erased = new Set(entityIds.flatMap((entityId) => [entityId, messagePartition(entityId)]));
  removeAbandoned(dir);
  const current = existsSync(path.join(dir, 'manifest.json'));
  const oldPrefix = `${path.basename(dir)}.old-`;
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(oldPrefix)) continue;
    const folder = path.join(parent, name);
    if (current) remove(folder, report);
    else replace(dir, folder, erased, report);
  }
  if (current) replace(dir, dir, erased, report);
  // A folder without a manifest is never loaded: nothing in it is worth keeping.
  else if (existsSync(dir)) remove(dir, report);
  return report;
}

function remove(folder: string, report: PurgeReport): void {
  rmSync(folder, { recursive: true, force: true });
  report.removed++;
}

/** Rewrites one snapshot folder without the entities, then puts it in place of the original. */
function replace(dir: string, folder: string, erased: Set<number>, report: PurgeReport): void {
  const unique = uniqueSuffix();
  // Named as a save's staging folder, so a crash leaves it to removeAbandoned.
  const staging = `${dir}.staging-${unique}`;
  let outcome: Outcome;
  try {
    outcome = writeWithout(folder, staging, erased, report);
  } catch {
    outcome = 'unreadable';
  }
  if (outcome !== 'rewritten') rmSync(staging, { recursive: true, force: true });
  if (outcome === 'unchanged') return;
  if (outcome === 'unreadable') {
    // It would not load (readSnapshot refuses it too), and it may hold the entities.
    remove(folder, report);
    return;
  }
  if (folder === dir) {
    const old = `${dir}.old-${unique}`;
    renameSync(dir, old);
    renameSync(staging, dir);
    rmSync(old, { recursive: true, force: true });
  } else {
    rmSync(folder, { recursive: true, force: true });
    renameSync(staging, folder);
  }
  report.rewritten++;
}

/** Copies the snapshot in `from` to `to` without the entities' facts and graphs. */
function writeWithout(from: string, to: string, erased: Set<number>, report: PurgeReport): Outcome {
  const manifest = JSON.parse(readFileSync(path.join(from, 'manifest.json'), 'utf8')) as Manifest;
  if (manifest.format !== FORMAT) return 'unreadable';
  const vectorBytes = manifest.dimension * 4;
  mkdirSync(to, { recursive: true });
  const file = path.join(to, 'facts.bin');
  const reader = new ChunkReader(path.join(from, 'facts.bin'));
  const writer = new ChunkWriter(file);
  let kept = 0;
  let dropped = 0;
  try {
    const header = reader.read(20);
    if (header.toString('latin1', 0, 8) !== MAGIC || header.readUInt32LE(16) !== manifest.facts) {
      return 'unreadable';
    }
    writer.write(header);
    for (let i = 0; i < manifest.facts; i++) {
      const record = reader.read(13);
      const entityId = record.readInt32LE(0);
      const textLength = record.readUInt32LE(8);
      const hasVector = record.readUInt8(12) === 1;
      if (erased.has(entityId)) {
        reader.read(textLength + (hasVector ? vectorBytes : 0));
        dropped++;
        continue;
      }
      // Written before the next read: a read may refill the buffer these bytes are a view of.
      writer.write(record);
      writer.write(reader.read(textLength));
      if (hasVector) writer.write(reader.read(vectorBytes));
      kept++;
    }
  } finally {
    reader.close();
    writer.close();
  }
  const graphs = manifest.graphs.filter((entityId) => !erased.has(entityId));
  if (dropped === 0 && graphs.length === manifest.graphs.length) return 'unchanged';
  const count = Buffer.alloc(4);
  count.writeUInt32LE(kept);
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, count, 0, 4, 16);
  } finally {
    closeSync(fd);
  }
  for (const entityId of graphs) {
    const name = `graph-${entityId}.usearch`;
    try {
      linkSync(path.join(from, name), path.join(to, name));
    } catch {
      copyFileSync(path.join(from, name), path.join(to, name));
    }
  }
  writeFileSync(path.join(to, 'manifest.json'), JSON.stringify({ ...manifest, facts: kept, graphs }));
  report.facts += dropped;
  return 'rewritten';
}
