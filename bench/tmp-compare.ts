import Database from 'better-sqlite3';
const fixed = 1_760_000_000_000;
Date.now = () => fixed;
const { prepareDatabase: oldPrep } = await import('./lib/seed-old.ts');
const { prepareDatabase: newPrep } = await import('./lib/seed.ts');
const sizes = { entities: 300, factsPerEntity: 20, triplesPerEntity: 10, sessionsPerEntity: 8 };
const a = oldPrep({ dataDir: '/tmp/cmp-old/', sizes, fresh: true, log: () => {} });
const b = newPrep({ dataDir: '/tmp/cmp-new/', sizes, fresh: true, log: () => {} });
const da = new Database(a.path), db = new Database(b.path);
for (const t of ['entity','entity_fact','subject','predicate','object','knowledge_graph','process','process_attribute','session','conversation','conversation_message']) {
  const q = `SELECT * FROM "${t}" ORDER BY id`;
  const strip = (rows: any[]) => JSON.stringify(rows.map((r) => ({ ...r, uuid: undefined })));
  console.log(t, strip(da.prepare(q).all()) === strip(db.prepare(q).all()));
}
