-- CreateTable
CREATE TABLE "triple_interval" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "triple_id" INTEGER NOT NULL,
    "valid_from" DATETIME NOT NULL,
    "valid_to" DATETIME NOT NULL,
    CONSTRAINT "triple_interval_triple_id_fkey" FOREIGN KEY ("triple_id") REFERENCES "knowledge_graph" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "triple_interval_triple_id_idx" ON "triple_interval"("triple_id");
