-- CreateTable
CREATE TABLE "graph_change" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "entity_id" INTEGER NOT NULL,
    "triple_id" INTEGER,
    "erased_entity" TEXT,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "graph_mirror" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "position" INTEGER NOT NULL DEFAULT 0,
    "owner" TEXT,
    "lease_until" DATETIME,
    "applied_at" DATETIME,
    "last_error" TEXT,
    "updated_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "graph_change_entity_id_idx" ON "graph_change"("entity_id");

-- CreateIndex
CREATE INDEX "graph_change_created_at_idx" ON "graph_change"("created_at");
