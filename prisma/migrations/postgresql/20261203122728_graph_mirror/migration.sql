-- CreateTable
CREATE TABLE "graph_change" (
    "id" SERIAL NOT NULL,
    "entity_id" INTEGER NOT NULL,
    "triple_id" INTEGER,
    "erased_entity" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "graph_change_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "graph_mirror" (
    "id" TEXT NOT NULL,
    "position" INTEGER NOT NULL DEFAULT 0,
    "owner" TEXT,
    "lease_until" TIMESTAMP(3),
    "applied_at" TIMESTAMP(3),
    "last_error" TEXT,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "graph_mirror_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "graph_change_entity_id_idx" ON "graph_change"("entity_id");

-- CreateIndex
CREATE INDEX "graph_change_created_at_idx" ON "graph_change"("created_at");
