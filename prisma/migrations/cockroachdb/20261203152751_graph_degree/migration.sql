-- CreateTable
CREATE TABLE "graph_degree" (
    "entity_id" INT4 NOT NULL,
    "name" STRING NOT NULL,
    "degree" INT4 NOT NULL,
    "out_degree" INT4 NOT NULL,

    CONSTRAINT "graph_degree_pkey" PRIMARY KEY ("entity_id","name")
);

-- CreateIndex
CREATE INDEX "graph_degree_entity_id_degree_idx" ON "graph_degree"("entity_id", "degree");

-- AddForeignKey
ALTER TABLE "graph_degree" ADD CONSTRAINT "graph_degree_entity_id_fkey" FOREIGN KEY ("entity_id") REFERENCES "entity"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Backfill: every entity's current degrees, counted once from its triples.
INSERT INTO "graph_degree" ("entity_id", "name", "degree", "out_degree")
SELECT "d"."entity_id", "d"."name", SUM("d"."n"), SUM("d"."o") FROM (
    SELECT "kg"."entity_id" AS "entity_id", "s"."name" AS "name", COUNT(*) AS "n", COUNT(*) AS "o"
    FROM "knowledge_graph" "kg" JOIN "subject" "s" ON "s"."id" = "kg"."subject_id"
    WHERE "kg"."valid_to" IS NULL GROUP BY "kg"."entity_id", "s"."name"
    UNION ALL
    SELECT "kg"."entity_id", "o"."name", COUNT(*), 0
    FROM "knowledge_graph" "kg" JOIN "object" "o" ON "o"."id" = "kg"."object_id"
    WHERE "kg"."valid_to" IS NULL GROUP BY "kg"."entity_id", "o"."name"
) "d" GROUP BY "d"."entity_id", "d"."name";
